#pragma once

#include <string>

namespace troupe::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "troupe-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  // `name` inside the directory.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to `name` inside the directory and returns its path.
  std::string write_file(const std::string& name, const std::string& text) const;

private:
  std::string path_;
};

} // namespace troupe::testing
