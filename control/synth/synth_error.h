#pragma once

#include <stdexcept>

namespace ottscope::synth {

// Synthesis runs offline and either produces the whole capture or nothing, so internal failures
// unwind to write_capture(), which turns them into the single error line.
class SynthError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace ottscope::synth
