#pragma once
// Long-running processes a test starts (the appliance, Prometheus): output to a log file,
// stopped with SIGTERM (SIGKILL after a grace period) when the test is done.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ottscope::test {

class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& argv, std::string log_path);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Returns the exit status (-1 when killed by a signal); of a process that running() found
    // ended, the status it ended with.
    int stop(std::chrono::seconds grace = std::chrono::seconds(10));
    [[nodiscard]] bool running();
    void signal(int number) const;
    [[nodiscard]] std::string log() const;

private:
    pid_t pid_ = -1;
    int exit_status_ = -1;
    std::string log_path_;
};

// Polls `done` every 100 ms until it is true or `limit` has passed.
bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit);
std::string url_encode(const std::string& text);
// Whether an executable of this name is on PATH (its full path, or empty).
std::string find_program(const std::string& name);

}  // namespace ottscope::test
