// The code revision this binary was built from: the short git commit, "-dirty" when tracked files
// had local changes, "unknown" outside a git checkout. Recorded in model and run manifests.
// Thread-safety: returns a static string.
#pragma once

namespace arus {

const char* CodeRevision();

}  // namespace arus
