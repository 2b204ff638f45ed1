// The lookup of `ottscope run` without -c, over a made-up file system: installed first, then
// the checkout the binary sits in, then the built-in defaults; never the current directory.

#include "config/default_config_path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ottscope {
namespace {

namespace fs = std::filesystem;

class DefaultConfigLookup : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/ottscope-default-config-XXXXXX";
        root_ = mkdtemp(pattern);
        fs::create_directories(root_ / "etc");
        fs::create_directories(root_ / "clone" / "build");
        fs::create_directories(root_ / "clone" / "config");
        touch(root_ / "clone" / "build" / "ottscope");
        touch(root_ / "clone" / "meson.build");
        touch(root_ / "clone" / "config" / "ottscope.yaml");
        places_.system = (root_ / "etc" / "ottscope.yaml").string();
        places_.executable = (root_ / "clone" / "build" / "ottscope").string();
    }
    void TearDown() override { fs::remove_all(root_); }

    static void touch(const fs::path& path) { std::ofstream(path) << "{}\n"; }

    fs::path root_;
    DefaultConfigPlaces places_;
};

TEST_F(DefaultConfigLookup, TheCheckoutsConfigurationWhenNothingIsInstalled) {
    const DefaultConfig found = find_default_config(places_);
    EXPECT_EQ(found.origin, ConfigOrigin::checkout);
    EXPECT_EQ(found.path, (root_ / "clone" / "config" / "ottscope.yaml").string());
    EXPECT_EQ(describe_config(found), "configuration " + found.path + " (the checkout's)");
}

TEST_F(DefaultConfigLookup, TheInstalledConfigurationComesFirst) {
    touch(places_.system);
    const DefaultConfig found = find_default_config(places_);
    EXPECT_EQ(found.origin, ConfigOrigin::system);
    EXPECT_EQ(found.path, places_.system);
    EXPECT_EQ(describe_config(found), "configuration " + places_.system);
}

// A directory or an unreadable file where the configuration belongs is taken, so that its
// load says what is wrong instead of the appliance starting on something else.
TEST_F(DefaultConfigLookup, AnInstalledPathThatIsNoFileIsStillTaken) {
    fs::create_directories(places_.system);
    EXPECT_EQ(find_default_config(places_).origin, ConfigOrigin::system);
}

// /usr/bin/ottscope: /usr/meson.build does not exist, so /usr/config/ottscope.yaml would not
// be read even if it did; a source tree without meson.build is not a checkout either.
TEST_F(DefaultConfigLookup, OnlyABuildFolderOfTheSourceTreeIsACheckout) {
    fs::remove(root_ / "clone" / "meson.build");
    EXPECT_EQ(find_default_config(places_).origin, ConfigOrigin::built_in);
    touch(root_ / "clone" / "meson.build");
    fs::remove(root_ / "clone" / "config" / "ottscope.yaml");
    EXPECT_EQ(find_default_config(places_).origin, ConfigOrigin::built_in);
}

TEST_F(DefaultConfigLookup, TheCurrentDirectoryIsNeverLookedAt) {
    fs::create_directories(root_ / "cwd" / "config");
    touch(root_ / "cwd" / "meson.build");
    touch(root_ / "cwd" / "ottscope.yaml");
    touch(root_ / "cwd" / "config" / "ottscope.yaml");
    const fs::path before = fs::current_path();
    fs::current_path(root_ / "cwd");
    places_.executable = "/usr/bin/ottscope";
    const DefaultConfig found = find_default_config(places_);
    fs::current_path(before);
    EXPECT_EQ(found.origin, ConfigOrigin::built_in);
    EXPECT_EQ(found.path, "");
    EXPECT_EQ(describe_config(found), "built-in defaults (no configuration file)");
}

TEST_F(DefaultConfigLookup, EmptyPlacesSkipTheirStep) {
    touch(places_.system);
    places_.system.clear();
    places_.checkout = false;
    EXPECT_EQ(find_default_config(places_).origin, ConfigOrigin::built_in);
    places_.checkout = true;
    places_.checkout_override = (root_ / "etc" / "ottscope.yaml").string();
    const DefaultConfig found = find_default_config(places_);
    EXPECT_EQ(found.origin, ConfigOrigin::checkout);
    EXPECT_EQ(found.path, places_.checkout_override);
}

// Puts the variable back as it was (the suite's environment sets it) when the test ends.
class SavedVariable {
public:
    explicit SavedVariable(const char* name) : name_(name) {
        const char* value = std::getenv(name);
        if (value != nullptr) value_ = value;
        set_ = value != nullptr;
    }
    ~SavedVariable() {
        if (set_) {
            setenv(name_, value_.c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }
    SavedVariable(const SavedVariable&) = delete;
    SavedVariable& operator=(const SavedVariable&) = delete;

private:
    const char* name_;
    std::string value_;
    bool set_ = false;
};

TEST(DefaultConfigPlaces, TheEnvironmentReplacesOrSkipsEachStep) {
    const SavedVariable system("OTTSCOPE_SYSTEM_CONFIG");
    const SavedVariable checkout("OTTSCOPE_CHECKOUT_CONFIG");
    ASSERT_EQ(setenv("OTTSCOPE_SYSTEM_CONFIG", "/elsewhere/ottscope.yaml", 1), 0);
    ASSERT_EQ(setenv("OTTSCOPE_CHECKOUT_CONFIG", "", 1), 0);
    DefaultConfigPlaces places = default_config_places();
    EXPECT_EQ(places.system, "/elsewhere/ottscope.yaml");
    EXPECT_FALSE(places.checkout);
    EXPECT_FALSE(places.executable.empty());
    ASSERT_EQ(unsetenv("OTTSCOPE_SYSTEM_CONFIG"), 0);
    ASSERT_EQ(unsetenv("OTTSCOPE_CHECKOUT_CONFIG"), 0);
    places = default_config_places();
    EXPECT_EQ(places.system, kSystemConfigPath);
    EXPECT_TRUE(places.checkout);
    EXPECT_EQ(places.checkout_override, "");
}

}  // namespace
}  // namespace ottscope
