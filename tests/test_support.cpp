#include "tests/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace ottscope::test {

std::string binary_path() {
    const char* path = std::getenv("OTTSCOPE_BINARY");
    return path != nullptr ? path : "build/ottscope";
}

std::string source_root() {
    const char* path = std::getenv("OTTSCOPE_SOURCE_ROOT");
    return path != nullptr ? path : ".";
}

std::string shared_root() {
    const char* env = std::getenv("OTTSCOPE_SHARED");
    const std::string path = env != nullptr ? env : source_root() + "/../shared";
    struct stat info {};
    return stat((path + "/pcaps/MANIFEST.tsv").c_str(), &info) == 0 ? path : std::string();
}

std::string temp_dir() {
    static const std::string dir = [] {
        char pattern[] = "/tmp/ottscope-test-XXXXXX";
        const char* made = mkdtemp(pattern);
        return std::string(made != nullptr ? made : "/tmp");
    }();
    return dir;
}

CommandResult run_command(const std::vector<std::string>& argv) {
    int pipe_fds[2];
    CommandResult result;
    if (pipe(pipe_fds) != 0) return result;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        std::vector<char*> args;
        for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    std::array<char, 4096> buffer{};
    ssize_t n = 0;
    while ((n = read(pipe_fds[0], buffer.data(), buffer.size())) > 0)
        result.output.append(buffer.data(), static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

CommandResult run_on_captures(const std::vector<std::string>& pcaps, const std::string& flows_out,
                              const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {binary_path(), "run", "--metrics",
                                     "127.0.0.1:" + std::to_string(free_port())};
    for (const auto& pcap : pcaps) {
        argv.push_back("--pcap");
        argv.push_back(pcap);
    }
    if (!flows_out.empty()) {
        argv.push_back("--flows-out");
        argv.push_back(flows_out);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

std::vector<std::string> sorted_lines(const std::string& path) {
    auto lines = read_lines(path);
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> split_fields(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, separator)) fields.push_back(field);
    return fields;
}

std::string demo_capture() {
    return source_root() + "/config/demo/tume-demo.pcap";
}

uint16_t free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        close(fd);
        return 0;
    }
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

std::string http_get(uint16_t port, const std::string& path) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string response;
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
        const std::string request =
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            std::array<char, 8192> buffer{};
            ssize_t n = 0;
            while ((n = read(fd, buffer.data(), buffer.size())) > 0)
                response.append(buffer.data(), static_cast<size_t>(n));
        }
    }
    close(fd);
    return response;
}

LingeringRun run_lingering(const std::vector<std::string>& args, const std::string& ready) {
    const uint16_t port = free_port();
    const std::string log = temp_dir() + "/lingering-" + std::to_string(port) + ".log";
    std::vector<std::string> argv = {binary_path(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--metrics", "127.0.0.1:" + std::to_string(port), "--linger"});
    std::vector<char*> pointers;
    for (std::string& arg : argv) pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        if (freopen(log.c_str(), "w", stdout) == nullptr) _exit(126);
        dup2(fileno(stdout), fileno(stderr));
        execv(pointers[0], pointers.data());
        _exit(127);
    }
    LingeringRun run;
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        run.metrics = http_get(port, "/metrics");
        if (run.metrics.find(ready) != std::string::npos) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    run.metrics = http_get(port, "/metrics");
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(log);
    run.output.assign(std::istreambuf_iterator<char>(in), {});
    return run;
}

std::vector<CorpusCapture> corpus_manifest(const std::string& shared) {
    std::vector<CorpusCapture> captures;
    std::ifstream in(shared + "/pcaps/MANIFEST.tsv");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream split(line);
        for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
        if (fields.empty()) continue;
        CorpusCapture capture{fields[0], {}};
        if (fields.size() > 5) {
            std::stringstream tags(fields[5]);
            for (std::string tag; std::getline(tags, tag, ',');) capture.tags.insert(tag);
        }
        captures.push_back(capture);
    }
    return captures;
}

std::string record_field(const std::string& line, const std::string& key) {
    const std::string marker = "\"" + key + "\":";
    const size_t at = line.find(marker);
    if (at == std::string::npos) return {};
    const size_t start = at + marker.size();
    if (line[start] == '"') {
        std::string out;
        for (size_t i = start + 1; i < line.size() && line[i] != '"'; ++i) {
            if (line[i] == '\\' && i + 1 < line.size()) ++i;
            out += line[i];
        }
        return out;
    }
    const size_t end = line.find_first_of(",}", start);
    return line.substr(start, end - start);
}

std::string canonical_address(std::string address) {
    if (!address.empty() && address.front() == '[') address = address.substr(1, address.size() - 2);
    in6_addr v6{};
    if (address.find(':') != std::string::npos && inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(AF_INET6, &v6, text, sizeof(text));
        return text;
    }
    return address;
}

}  // namespace ottscope::test
