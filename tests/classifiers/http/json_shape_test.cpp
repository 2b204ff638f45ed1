// JSON bodies as TU Me sends them (the synthesizer's), cut at every byte, nested hostile
// ones: the shape (keys, depth, array sizes) comes out, values never do.

#include "classifiers/http/json_shape.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classifiers/http/json_dom.h"

namespace ottscope {
namespace {

const std::string kProfile =
    R"({"msisdn":"+34600000001","displayName":"Test User","locale":"es-ES","device":{"os":"android",)"
    R"("osVersion":"14","appVersion":"3.2.1"},"addressBook":[)"
    R"({"name":"Test Contact One","msisdn":"+34600000101"},)"
    R"({"name":"Test Contact Two","msisdn":"+34600000102"},)"
    R"({"name":"Example Office","msisdn":"+34900000000"}]})";

std::vector<std::string> keys_of(const JsonShape& shape) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < shape.keys.size(); ++i) keys.emplace_back(shape.keys[i]);
    return keys;
}

JsonShape scan(std::string_view body, size_t piece = SIZE_MAX) {
    JsonScanner scanner;
    JsonShape shape;
    for (size_t at = 0; at < body.size(); at += piece)
        scanner.feed(body.substr(at, std::min(piece, body.size() - at)), shape);
    return shape;
}

TEST(JsonScanner, ProfileUploadGivesKeysDepthAndArraySize) {
    const JsonShape shape = scan(kProfile);
    EXPECT_EQ(keys_of(shape),
              (std::vector<std::string>{"msisdn", "displayName", "locale", "device", "os",
                                        "osVersion", "appVersion", "addressBook", "name"}));
    EXPECT_EQ(shape.max_depth, 3);
    EXPECT_EQ(shape.max_array, 3);
}

TEST(JsonScanner, ByteByBytePiecesGiveTheSameShape) {
    const JsonShape whole = scan(kProfile);
    const JsonShape pieces = scan(kProfile, 1);
    EXPECT_EQ(keys_of(whole), keys_of(pieces));
    EXPECT_EQ(whole.max_depth, pieces.max_depth);
    EXPECT_EQ(whole.max_array, pieces.max_array);
}

TEST(JsonScanner, EveryCutKeepsTheKeysBeforeIt) {
    for (size_t cut = 0; cut <= kProfile.size(); ++cut) {
        const std::string prefix = kProfile.substr(0, cut);
        const JsonShape shape = scan(prefix);
        for (const std::string& key : keys_of(shape))
            EXPECT_NE(prefix.find("\"" + key + "\""), std::string::npos) << cut;
        if (cut > kProfile.find("\"addressBook\":") + 14) {
            const auto keys = keys_of(shape);
            EXPECT_NE(std::find(keys.begin(), keys.end(), "addressBook"), keys.end()) << cut;
        }
    }
}

TEST(JsonScanner, ValuesAndNumberKeysAreNeverKept) {
    const JsonShape shape =
        scan(R"({"+34600000101":{"name":"Alice Example"},"note":"msisdn \"quoted\" value"})");
    for (const std::string& key : keys_of(shape)) {
        EXPECT_EQ(key.find("3460"), std::string::npos);
        EXPECT_EQ(key.find("Alice"), std::string::npos);
        EXPECT_EQ(key.find("quoted"), std::string::npos);
    }
    EXPECT_EQ(keys_of(shape), (std::vector<std::string>{"name", "note"}));
}

TEST(JsonScanner, DeepNestingStopsAtTheBound) {
    const std::string deep(100000, '[');
    JsonScanner scanner;
    JsonShape shape;
    scanner.feed(deep, shape);
    EXPECT_TRUE(scanner.gave_up());
    EXPECT_EQ(shape.max_depth, JsonScanner::kMaxDepth);
}

TEST(JsonScanner, KeySetIsBounded) {
    std::string body = "{";
    for (int i = 0; i < 100; ++i) body += "\"key" + std::to_string(i) + "\":1,";
    body += "\"last\":2}";
    const JsonShape shape = scan(body);
    EXPECT_EQ(shape.keys.size(), JsonKeySet::kMaxKeys);
}

TEST(JsonDom, CompleteBodyAgreesWithTheScanner) {
    JsonDom dom(4096);
    JsonShape shape;
    ASSERT_TRUE(
        dom.parse(reinterpret_cast<const uint8_t*>(kProfile.data()), kProfile.size(), shape));
    EXPECT_TRUE(shape.valid);
    const JsonShape scanned = scan(kProfile);
    EXPECT_EQ(keys_of(shape), keys_of(scanned));
    EXPECT_EQ(shape.max_depth, scanned.max_depth);
    EXPECT_EQ(shape.max_array, scanned.max_array);
}

TEST(JsonDom, BrokenOrOversizedBodiesLeaveTheShapeAlone) {
    JsonDom dom(64);
    JsonShape shape;
    shape.max_depth = 7;
    const std::string broken = R"({"msisdn":"+3460)";
    EXPECT_FALSE(dom.parse(reinterpret_cast<const uint8_t*>(broken.data()), broken.size(), shape));
    EXPECT_FALSE(
        dom.parse(reinterpret_cast<const uint8_t*>(kProfile.data()), kProfile.size(), shape));
    EXPECT_EQ(shape.max_depth, 7);
}

}  // namespace
}  // namespace ottscope
