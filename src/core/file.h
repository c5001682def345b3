// Durable, atomic file output: data goes to a temporary file beside the target, which is fsynced and
// renamed over the target, then the directory is fsynced. A crash at any point leaves either the old
// file or the complete new one, never a torn one. Used by the store and by every CLI output.
// Thread-safety: an AtomicFile is owned by one thread.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "core/status.h"

namespace arus {

class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();  // removes the temporary file unless Commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Creates the parent directories if needed and opens "<path>.tmp.<pid>".
  Status Open(const std::string& path);
  // Buffered write; errors surface here or at Commit.
  Status Write(std::string_view data);
  // Flushes, fsyncs, renames onto the target and fsyncs the directory.
  Status Commit();
  // Drops the temporary file; the target is untouched.
  void Abort();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string tmp_path_;
  std::FILE* f_ = nullptr;
};

// Writes `data` to `path` atomically (AtomicFile in one call).
Status WriteFileAtomic(const std::string& path, std::string_view data);
// Reads a whole file; NotFound if missing, IoError otherwise.
Result<std::string> ReadFile(const std::string& path);
// fsync on a directory so a rename inside it is durable.
Status SyncDirectory(const std::string& dir);

}  // namespace arus
