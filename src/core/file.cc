#include "core/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace arus {

namespace fs = std::filesystem;

AtomicFile::~AtomicFile() { Abort(); }

Status AtomicFile::Open(const std::string& path) {
  Abort();
  path_ = path;
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return IoError("cannot create directory '" + parent.string() + "': " + ec.message());
  }
  tmp_path_ = path + ".tmp." + std::to_string(::getpid());
  f_ = std::fopen(tmp_path_.c_str(), "wb");
  if (f_ == nullptr) return ErrnoError("cannot create '" + tmp_path_ + "'", errno);
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  return Status::Ok();
}

Status AtomicFile::Write(std::string_view data) {
  if (f_ == nullptr) return Internal("AtomicFile::Write before Open: " + path_);
  if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f_) != data.size()) {
    return ErrnoError("write to '" + tmp_path_ + "' failed", errno);
  }
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (f_ == nullptr) return Internal("AtomicFile::Commit before Open: " + path_);
  if (std::fflush(f_) != 0) return ErrnoError("write to '" + tmp_path_ + "' failed", errno);
  if (::fsync(::fileno(f_)) != 0) return ErrnoError("fsync '" + tmp_path_ + "' failed", errno);
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) return ErrnoError("close '" + tmp_path_ + "' failed", errno);
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp_path_.c_str());
    tmp_path_.clear();
    return ErrnoError("rename onto '" + path_ + "' failed", err);
  }
  tmp_path_.clear();
  std::string dir = fs::path(path_).parent_path().string();
  return SyncDirectory(dir.empty() ? "." : dir);
}

void AtomicFile::Abort() {
  if (f_ != nullptr) {
    std::fclose(f_);
    f_ = nullptr;
  }
  if (!tmp_path_.empty()) {
    std::remove(tmp_path_.c_str());
    tmp_path_.clear();
  }
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  AtomicFile f;
  ARUS_RETURN_IF_ERROR(f.Open(path));
  ARUS_RETURN_IF_ERROR(f.Write(data));
  return f.Commit();
}

Result<std::string> ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return NotFound("no such file: '" + path + "'");
    return ErrnoError("cannot open '" + path + "'", errno);
  }
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return IoError("read error on '" + path + "'");
  return out;
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoError("cannot open directory '" + dir + "'", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync directory '" + dir + "' failed", err);
  return Status::Ok();
}

}  // namespace arus
