// Inference for the dl sequence architectures in plain C++ (float), torch-free: batch prediction
// over a run of rows and the streaming live path share the same step functions, so a stream fed
// rows one at a time gives the same bits as Predict over the same rows (tested). Training happens
// in LibTorch (sequence_models.cc), which copies the trained weights in here; the arithmetic is
// the same function as the torch modules up to float rounding (tested against torch, 1e-4).
//
// Semantics (docs/dl.md):
//  - lstm, gru (stateful): the output of row i is the network run from a zero state at the first
//    row of the run through row i; a stream carries (h, c) from bar to bar.
//  - transformer, cnn, cnn_lstm (windowed): the output of row i uses the rows
//    max(first, i - L + 1) .. i; missing rows at the start are zeros (the training mean after
//    standardisation), masked out of the transformer's attention. A stream keeps a ring of the
//    last L rows (the transformer: of their embeddings).
// Outputs per row: horizons x outputs values; class probabilities (softmax per horizon) or the
// regression value in target units (y_mean + y_sd * network output).
//
// Thread-safety: a SequenceNet is immutable; Predict may run concurrently. A Stream is used by
// one thread and must not outlive its net.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/learners.h"
#include "ml/model.h"

namespace arus::dl {

enum class Arch : uint8_t { kLstm, kGru, kTransformer, kCnn, kCnnLstm };
std::string_view ArchName(Arch a);  // "lstm", "gru", "transformer", "cnn", "cnn_lstm"
bool IsStateful(Arch a);            // lstm, gru

// The shape of a network (from the learner's parameters and the data).
struct NetSpec {
  Arch arch = Arch::kLstm;
  size_t inputs = 0;    // features
  size_t outputs = 1;   // per horizon: classes, or 1 for regression
  size_t horizons = 1;  // steps ahead
  bool classification = true;
  size_t window = 64;   // L
  size_t hidden = 64;   // recurrent state (lstm, gru, cnn_lstm), dense layer (cnn)
  size_t layers = 2;    // recurrent / encoder layers (lstm, gru, transformer, cnn_lstm)
  size_t conv_layers = 2;  // cnn, cnn_lstm
  size_t channels = 32;    // cnn, cnn_lstm
  size_t kernel = 3;       // cnn, cnn_lstm
  size_t d_model = 64;     // transformer
  size_t heads = 4;        // transformer
  size_t ff = 128;         // transformer feed-forward width

  size_t out_width() const { return outputs * horizons; }
  // Rows of history before a row (ml::Model::context_rows): L for stateful nets (the window they
  // were trained on), L - 1 for windowed ones.
  size_t context_rows() const;
};

// y = b + W x, with W stored transposed (in x out) so the loop over outputs vectorises and every
// output accumulates its inputs in the same order in every call.
struct Dense {
  size_t in = 0, out = 0;
  std::vector<float> wt;  // [in][out]
  std::vector<float> b;   // [out]
  void Apply(const float* x, float* y) const;
};

struct Recurrent {  // one lstm (4 gates: i, f, g, o) or gru (3 gates: r, z, n) layer
  Dense ih, hh;
};

struct Conv {  // causal 1-D convolution: y[t] = b + sum_j W_j x[t - (kernel - 1) + j], then ReLU
  size_t in = 0, out = 0, kernel = 0;
  std::vector<float> w;  // [kernel][in][out]
  std::vector<float> b;  // [out]
};

struct Norm {  // layer norm, eps 1e-5
  std::vector<float> g, b;
};

struct Encoder {  // post-norm transformer encoder layer (ReLU feed-forward)
  Dense qkv, out, ff1, ff2;
  Norm ln1, ln2;
};

struct NetWeights {
  std::vector<Recurrent> rnn;  // lstm, gru, cnn_lstm
  std::vector<Conv> conv;      // cnn, cnn_lstm
  Dense fc;                    // cnn: flattened feature map -> hidden
  Dense embed;                 // transformer: features -> d_model
  std::vector<Encoder> enc;    // transformer
  Dense head;                  // -> horizons * outputs
  double y_mean = 0, y_sd = 1;  // regression target scaling
};

// The sinusoidal positional encoding, window x d_model floats: position p (0 = oldest row of a
// full window, window - 1 = the current row), pe[p][2i] = sin(p / 10000^(2i/d)), pe[p][2i+1] =
// cos(...). Shared with the torch module so both add the same floats.
std::vector<float> PositionalEncoding(size_t window, size_t d_model);

class SequenceNet {
 public:
  // Checks every weight's shape against the spec (Corruption naming `origin` otherwise) and that
  // every weight is finite.
  static Result<std::unique_ptr<SequenceNet>> Create(const NetSpec& spec, NetWeights w,
                                                     const std::string& origin);

  const NetSpec& spec() const { return spec_; }
  // Every horizon of every row of the run x (preprocessed): rows * horizons * outputs.
  void Predict(ml::MatrixView x, double* out) const;

  // The live path, one preprocessed row per Step; out gets horizons * outputs values. No heap
  // allocation per step.
  class Stream {
   public:
    explicit Stream(const SequenceNet& net);
    void Step(const double* row, double* out);
    void Reset();

   private:
    friend class SequenceNet;
    const SequenceNet& net_;
    // Stateful: h and c per layer. Windowed: a ring of the last L rows (raw rows, or
    // embeddings for the transformer), `count` rows seen.
    std::vector<float> h_, c_;
    std::vector<float> ring_;
    size_t count_ = 0;
    std::vector<float> row_, scratch_, logits_;
  };
  std::unique_ptr<Stream> NewStream() const { return std::make_unique<Stream>(*this); }
  // An ml::RawStream over this net giving horizon 1 (for the ml pipeline).
  std::unique_ptr<ml::RawStream> NewRawStream() const;

 private:
  SequenceNet(NetSpec spec, NetWeights w);
  size_t ScratchSize() const;
  size_t RingWidth() const;  // floats per ring row
  // Stateful step: row (inputs floats) -> logits; h, c updated.
  void RecurrentStep(const std::vector<Recurrent>& layers, size_t hidden, bool gru,
                     const float* row, float* h, float* c, float* scratch) const;
  // Windowed: logits from the last m (<= L) ring rows given oldest-first in `rows` (m x width).
  void WindowLogits(const float* rows, size_t m, float* scratch, float* logits) const;
  void Finish(const float* logits, double* out) const;  // softmax / target units

  NetSpec spec_;
  NetWeights w_;
  std::vector<float> pe_;
};

}  // namespace arus::dl
