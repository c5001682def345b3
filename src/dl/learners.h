// The deep-learning learners of arus, for the ml catalogue: "lstm", "gru" (stateful recurrent
// nets), "transformer", "cnn" and "cnn_lstm" (windowed nets), each with classification and
// regression heads and multi-step output (param `horizons`). Trained with LibTorch (CPU), they
// implement the same ml::Model interface as the other learners (FitModel, LoadModel, ensembles,
// the registry, `arus train`), plus sequence context (Model::context_rows) and streams
// (Model::NewStream). Torch-free header. Docs: docs/dl.md.
//
// Thread-safety: RegisterLearners must run at program start (before lookups on other threads).
// Fits take a process-wide lock (torch's random generator and thread count are global), so
// concurrent fits of dl learners run one after the other; prediction runs concurrently.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace arus::dl {

// Adds the dl learners to the ml catalogue (ml::RegisterLearner). Idempotent.
void RegisterLearners();

// Training progress of a dl fit, reported after every mini-batch and every epoch.
struct TrainProgress {
  std::string learner;     // "lstm", ...
  size_t epoch = 0;        // 1-based, the epoch in progress
  size_t epochs = 0;       // the maximum (early stopping may end sooner)
  size_t batch = 0;        // batches done in this epoch
  size_t batches = 0;      // batches in this epoch
  double train_loss = 0;   // mean loss of the epoch so far
  double val_loss = -1;    // last finished epoch's validation loss (-1: none yet / no slice)
  bool epoch_done = false;
};
using TrainProgressFn = std::function<void(const TrainProgress&)>;
// Process-wide observer of dl training (e.g. `arus train`'s progress bar); empty = none. Called
// on the fitting thread; set it before fitting.
void SetTrainProgress(TrainProgressFn fn);

}  // namespace arus::dl
