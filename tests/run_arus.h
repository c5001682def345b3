// Runs the `arus` binary for end-to-end tests and captures its exit code, stdout and stderr;
// reads files back.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace arus::testing {

struct RunResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `args` is appended to the binary's path and run through the shell.
inline RunResult RunArus(const std::string& args) {
  static int counter = 0;
  const std::filesystem::path err_path =
      std::filesystem::temp_directory_path() /
      ("arus_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  const std::string cmd = std::string(ARUS_CLI_PATH) + " " + args + " 2>" + err_path.string();
  RunResult r{-1, "", ""};
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream ef(err_path);
  std::stringstream ss;
  ss << ef.rdbuf();
  r.err = ss.str();
  std::filesystem::remove(err_path);
  return r;
}

// The whole content of a file ("" if it cannot be read).
inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace arus::testing
