#pragma once
// A collector the export tests start (nfacctd, nfcapd): in a process group of its own,
// because nfacctd forks its plugins, and all of them go when the test is done.

#include <sys/types.h>

#include <string>
#include <vector>

namespace ottscope::test {

class CollectorProcess {
public:
    CollectorProcess(const std::vector<std::string>& argv, const std::string& log);
    ~CollectorProcess();  // SIGKILL to the group, if still running
    CollectorProcess(const CollectorProcess&) = delete;
    CollectorProcess& operator=(const CollectorProcess&) = delete;

    // SIGTERM to the group and waits for the process (nfcapd writes its file then): true
    // when it exited within `seconds`.
    bool terminate(int seconds = 10);

private:
    pid_t pid_ = -1;
};

// nfacctd's or nfcapd's path: Debian puts some in /usr/sbin, which a user's PATH may lack.
std::string collector_program(const std::string& name);

}  // namespace ottscope::test
