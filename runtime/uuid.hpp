#pragma once

#include <string>

namespace troupe {

// A random (version 4) UUID in its canonical text form.
std::string new_uuid();

} // namespace troupe
