#pragma once
// Reads the files an operator points ottscope at (configuration, rule files, the nDPI
// protocols file) without letting the path decide how we block or how much we hold: a rules
// directory is watched and reloaded unattended, so a FIFO, a directory or a runaway file
// dropped there must become an error naming the file, never a hang or a crash.

#include <cstdint>
#include <optional>
#include <string>

namespace ottscope {

// The largest YAML file (configuration or rule file) read. The shipped rules are 2 KiB and the
// YAML node bound (kMaxYamlNodes) refuses any document with more nodes long before this size,
// so the byte bound only has to stop a runaway file from being read into memory whole.
constexpr uint64_t kMaxYamlFileBytes = uint64_t{4} << 20;
// nDPI's protocols file is a flat list of host and IP lines; generous lists run to a few MiB.
constexpr uint64_t kMaxProtocolsFileBytes = uint64_t{16} << 20;

// Opens `path` without blocking (O_NONBLOCK: a FIFO with no writer opens at once), checks
// that it is a regular file (symbolic links to one are fine) of at most `max_bytes`, and
// reads it whole. On refusal `error` says why, without the path: callers locate it.
std::optional<std::string> read_regular_file(const std::string& path, uint64_t max_bytes,
                                             std::string& error);

// The same checks without reading, for files another library opens (nDPI's protocols file).
bool is_readable_regular_file(const std::string& path, uint64_t max_bytes, std::string& error);

}  // namespace ottscope
