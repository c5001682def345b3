// The LibTorch side of the dl learners: the torch modules of every architecture, training
// (mini-batches, Adam/AdamW, learning-rate schedule, gradient clipping, dropout, weight decay,
// early stopping on a purged validation slice, best weights), weights.pt save / load, and the
// learner definitions registered with ml. Inference runs in plain C++ (sequence_net.h) on the
// weights copied out of the trained modules. The only translation unit that includes torch.
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <random>
#include <sstream>

#include "core/file.h"
#include "dl/learners.h"
#include "dl/sequence_data.h"
#include "dl/sequence_models.h"
#include "dl/sequence_net.h"
#include "ml/learners.h"

namespace arus::dl {

namespace {

constexpr char kWeightsFile[] = "weights.pt";
constexpr char kTrainingFile[] = "training.json";
constexpr size_t kMaxTrainingJsonBytes = size_t{1} << 20;
constexpr size_t kEvalBatch = 256;

// torch's generator and thread count are process-wide: fits (and module construction, which
// draws initial weights) run one at a time.
std::mutex& TorchMutex() {
  static std::mutex m;
  return m;
}

std::mutex& ProgressMutex() {
  static std::mutex m;
  return m;
}
TrainProgressFn& ProgressFn() {
  static TrainProgressFn fn;
  return fn;
}
void Report(const TrainProgress& p) {
  std::lock_guard<std::mutex> lock(ProgressMutex());
  if (ProgressFn()) ProgressFn()(p);
}

class ThreadGuard {
 public:
  explicit ThreadGuard(int n) : prev_(at::get_num_threads()) { at::set_num_threads(n); }
  ~ThreadGuard() { at::set_num_threads(prev_); }

 private:
  int prev_;
};

std::string FirstLine(const std::string& s) {
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// ---- Parameters --------------------------------------------------------------------------------

ml::ParamSpec IntSpec(std::string name, int64_t def, double lo, double hi, std::string help) {
  return {std::move(name), ml::ParamType::kInt, def, lo, hi, {}, std::move(help)};
}
ml::ParamSpec NumSpec(std::string name, double def, double lo, double hi, std::string help) {
  return {std::move(name), ml::ParamType::kDouble, def, lo, hi, {}, std::move(help)};
}
ml::ParamSpec StrSpec(std::string name, std::string def, std::vector<std::string> choices,
                      std::string help) {
  return {std::move(name), ml::ParamType::kString, std::move(def), 0, 0, std::move(choices),
          std::move(help)};
}

std::vector<ml::ParamSpec> Specs(Arch a) {
  std::vector<ml::ParamSpec> s;
  s.push_back(IntSpec("window", a == Arch::kTransformer ? 32 : 64, 2, 4096,
                      IsStateful(a) ? "rows per training window (L); also the history prepended "
                                      "before predicting a later part (context_rows)"
                                    : "rows each prediction reads (L): the row and L - 1 before it"));
  s.push_back(IntSpec("horizons", 1, 1, 64,
                      "steps predicted at once: horizon h of row i targets the label of row "
                      "i + h - 1"));
  switch (a) {
    case Arch::kLstm:
    case Arch::kGru:
      s.push_back(IntSpec("hidden", 64, 1, 1024, "recurrent state size"));
      s.push_back(IntSpec("layers", 2, 1, 8, "stacked recurrent layers"));
      s.push_back(IntSpec("burn_in", -1, -1, 4095,
                          "steps of each training window without loss, so the loss sees warmed-up "
                          "states (-1: window / 2)"));
      s.push_back(IntSpec("stride", 0, 0, 4096,
                          "rows between training window starts (0: window - burn_in, so each row "
                          "has loss about once per epoch)"));
      break;
    case Arch::kTransformer:
      s.push_back(IntSpec("d_model", 32, 2, 1024, "model width"));
      s.push_back(IntSpec("heads", 4, 1, 64, "attention heads (must divide d_model)"));
      s.push_back(IntSpec("ff", 64, 1, 8192, "feed-forward width"));
      s.push_back(IntSpec("layers", 2, 1, 8, "encoder layers"));
      break;
    case Arch::kCnn:
    case Arch::kCnnLstm:
      s.push_back(IntSpec("channels", 32, 1, 1024, "convolution channels"));
      s.push_back(IntSpec("kernel_size", 3, 1, 64, "causal convolution kernel (rows)"));
      s.push_back(IntSpec("conv_layers", 2, 1, 8, "stacked convolutions (ReLU after each)"));
      s.push_back(IntSpec("hidden", a == Arch::kCnn ? 64 : 32, 1, 1024,
                          a == Arch::kCnn ? "dense layer after the flattened convolutions"
                                          : "LSTM state size"));
      if (a == Arch::kCnnLstm) s.push_back(IntSpec("layers", 1, 1, 8, "stacked LSTM layers"));
      break;
  }
  s.push_back(IntSpec("epochs", 30, 1, 100000, "maximum passes over the training windows"));
  s.push_back(IntSpec("batch_size", 64, 1, 65536, "windows per mini-batch"));
  s.push_back(IntSpec("max_windows_per_epoch", 0, 0, 1e9,
                      "train on at most this many (randomly chosen) windows per epoch (0: all)"));
  s.push_back(StrSpec("optimizer", "adamw", {"adam", "adamw"},
                      "Adam (L2 weight decay) or AdamW (decoupled weight decay)"));
  s.push_back(NumSpec("lr", 1e-3, 1e-7, 10, "learning rate"));
  s.push_back(NumSpec("weight_decay", 1e-4, 0, 10, "weight decay"));
  s.push_back(StrSpec("lr_schedule", "cosine", {"constant", "cosine", "step"},
                      "learning rate per epoch: constant, cosine decay to 0 over `epochs`, or "
                      "times lr_gamma every lr_step epochs"));
  s.push_back(IntSpec("lr_step", 10, 1, 100000, "step schedule: epochs between decays"));
  s.push_back(NumSpec("lr_gamma", 0.5, 1e-6, 1, "step schedule: decay factor"));
  s.push_back(NumSpec("grad_clip", 1.0, 0, 1e6, "clip the gradient's global L2 norm (0: off)"));
  s.push_back(NumSpec("dropout", 0.1, 0, 0.95, "dropout rate (training only)"));
  s.push_back(NumSpec("validation_fraction", 0.15, 0, 0.5,
                      "latest fraction of the training rows held out for early stopping, purged "
                      "by the label horizon (0: none, train every epoch, keep the last weights)"));
  s.push_back(IntSpec("patience", 5, 0, 100000,
                      "stop after this many epochs without a better validation loss (0: never; "
                      "the best weights are kept either way)"));
  s.push_back(IntSpec("nthread", 1, 1, 256, "torch threads while training"));
  return s;
}

std::string Help(Arch a) {
  switch (a) {
    case Arch::kLstm:
      return "stateful LSTM over the rows (LibTorch); streams one step per bar";
    case Arch::kGru:
      return "stateful GRU over the rows (LibTorch); streams one step per bar";
    case Arch::kTransformer:
      return "Transformer encoder with positional encoding over the last `window` rows (LibTorch)";
    case Arch::kCnn:
      return "causal 1-D CNN over the last `window` rows (LibTorch)";
    case Arch::kCnnLstm:
      return "causal 1-D CNN then an LSTM over the last `window` rows (LibTorch)";
  }
  return "";
}

NetSpec SpecFromParams(Arch a, const ml::ParamMap& p, size_t inputs, size_t classes) {
  NetSpec s;
  s.arch = a;
  s.inputs = inputs;
  s.classification = classes > 0;
  s.outputs = classes > 0 ? classes : 1;
  s.horizons = static_cast<size_t>(ml::GetInt(p, "horizons"));
  s.window = static_cast<size_t>(ml::GetInt(p, "window"));
  switch (a) {
    case Arch::kLstm:
    case Arch::kGru:
      s.hidden = ml::GetInt(p, "hidden");
      s.layers = ml::GetInt(p, "layers");
      break;
    case Arch::kTransformer:
      s.d_model = ml::GetInt(p, "d_model");
      s.heads = ml::GetInt(p, "heads");
      s.ff = ml::GetInt(p, "ff");
      s.layers = ml::GetInt(p, "layers");
      break;
    case Arch::kCnn:
    case Arch::kCnnLstm:
      s.channels = ml::GetInt(p, "channels");
      s.kernel = ml::GetInt(p, "kernel_size");
      s.conv_layers = ml::GetInt(p, "conv_layers");
      s.hidden = ml::GetInt(p, "hidden");
      s.layers = a == Arch::kCnnLstm ? ml::GetInt(p, "layers") : 1;
      break;
  }
  return s;
}

// ---- Torch modules -----------------------------------------------------------------------------

namespace tm {

struct EncoderLayerImpl : torch::nn::Module {
  EncoderLayerImpl(int64_t d, int64_t ff) {
    qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
    out = register_module("out", torch::nn::Linear(d, d));
    ff1 = register_module("ff1", torch::nn::Linear(d, ff));
    ff2 = register_module("ff2", torch::nn::Linear(ff, d));
    ln1 = register_module("ln1",
                          torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)));
    ln2 = register_module("ln2",
                          torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)));
  }
  torch::nn::Linear qkv{nullptr}, out{nullptr}, ff1{nullptr}, ff2{nullptr};
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
};
TORCH_MODULE(EncoderLayer);

// One module for every architecture; the same function as SequenceNet (sequence_net.cc).
struct NetImpl : torch::nn::Module {
  NetImpl(const NetSpec& spec, double dropout) : s(spec), p(dropout) {
    const auto F = static_cast<int64_t>(s.inputs), H = static_cast<int64_t>(s.hidden),
               L = static_cast<int64_t>(s.window), C = static_cast<int64_t>(s.channels),
               K = static_cast<int64_t>(s.kernel), layers = static_cast<int64_t>(s.layers),
               d = static_cast<int64_t>(s.d_model);
    const double rnn_drop = layers > 1 ? dropout : 0.0;
    int64_t head_in = H;
    switch (s.arch) {
      case Arch::kLstm:
        lstm = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(F, H)
                                                          .num_layers(layers)
                                                          .batch_first(true)
                                                          .dropout(rnn_drop)));
        break;
      case Arch::kGru:
        gru = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(F, H)
                                                        .num_layers(layers)
                                                        .batch_first(true)
                                                        .dropout(rnn_drop)));
        break;
      case Arch::kCnn:
      case Arch::kCnnLstm:
        for (size_t l = 0; l < s.conv_layers; ++l) {
          convs.push_back(register_module(
              "conv" + std::to_string(l),
              torch::nn::Conv1d(torch::nn::Conv1dOptions(l == 0 ? F : C, C, K))));
        }
        if (s.arch == Arch::kCnn) {
          fc = register_module("fc", torch::nn::Linear(L * C, H));
        } else {
          lstm = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(C, H)
                                                            .num_layers(layers)
                                                            .batch_first(true)
                                                            .dropout(rnn_drop)));
        }
        break;
      case Arch::kTransformer: {
        embed = register_module("embed", torch::nn::Linear(F, d));
        for (int64_t l = 0; l < layers; ++l) {
          enc.push_back(register_module("enc" + std::to_string(l),
                                        EncoderLayer(d, static_cast<int64_t>(s.ff))));
        }
        std::vector<float> table = PositionalEncoding(s.window, s.d_model);
        pe = torch::from_blob(table.data(), {L, d}, torch::kFloat32).clone();
        head_in = d;
        break;
      }
    }
    head = register_module("head",
                           torch::nn::Linear(head_in, static_cast<int64_t>(s.out_width())));
    y_mean = register_buffer("y_mean", torch::zeros({1}, torch::kFloat64));
    y_sd = register_buffer("y_sd", torch::ones({1}, torch::kFloat64));
  }

  torch::Tensor Drop(const torch::Tensor& x) { return torch::dropout(x, p, is_training()); }

  // [B, T, F] -> [B, T, C]: causal convolutions (left zero padding of kernel - 1), ReLU.
  torch::Tensor Convs(const torch::Tensor& x) {
    torch::Tensor h = x.permute({0, 2, 1});
    const int64_t pad = static_cast<int64_t>(s.kernel) - 1;
    for (auto& c : convs) h = Drop(torch::relu(c->forward(torch::constant_pad_nd(h, {pad, 0}))));
    return h.permute({0, 2, 1});
  }

  // Stateful: x [B, T, F] -> [B, T, out_width]. Windowed: x [B, L, F], pad [B, L] (bool, true =
  // padding; may be undefined) -> [B, out_width].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pad) {
    const int64_t B = x.size(0), T = x.size(1);
    switch (s.arch) {
      case Arch::kLstm:
        return head(Drop(std::get<0>(lstm->forward(x))));
      case Arch::kGru:
        return head(Drop(std::get<0>(gru->forward(x))));
      case Arch::kCnn: {
        torch::Tensor h = Convs(x).reshape({B, -1});
        return head(Drop(torch::relu(fc(h))));
      }
      case Arch::kCnnLstm: {
        torch::Tensor o = std::get<0>(lstm->forward(Convs(x)));
        return head(Drop(o.select(1, T - 1)));
      }
      case Arch::kTransformer: {
        const int64_t d = static_cast<int64_t>(s.d_model), heads = static_cast<int64_t>(s.heads);
        const int64_t dh = d / heads;
        const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
        torch::Tensor h = Drop(embed(x) + pe.slice(0, pe.size(0) - T));
        for (auto& e : enc) {
          torch::Tensor qkv = e->qkv(h).view({B, T, 3, heads, dh}).permute({2, 0, 3, 1, 4});
          torch::Tensor sc = torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) * scale;
          if (pad.defined()) sc = sc.masked_fill(pad.view({B, 1, 1, T}), -INFINITY);
          torch::Tensor a = torch::matmul(Drop(torch::softmax(sc, -1)), qkv[2]);
          a = a.permute({0, 2, 1, 3}).reshape({B, T, d});
          h = e->ln1(h + Drop(e->out(a)));
          h = e->ln2(h + Drop(e->ff2(Drop(torch::relu(e->ff1(h))))));
        }
        return head(Drop(h.select(1, T - 1)));
      }
    }
    return {};
  }

  NetSpec s;
  double p;
  torch::nn::LSTM lstm{nullptr};
  torch::nn::GRU gru{nullptr};
  std::vector<torch::nn::Conv1d> convs;
  std::vector<EncoderLayer> enc;
  torch::nn::Linear fc{nullptr}, embed{nullptr}, head{nullptr};
  torch::Tensor pe, y_mean, y_sd;
};
TORCH_MODULE(Net);

}  // namespace tm

// ---- Weights out of the torch module -----------------------------------------------------------

std::vector<float> Floats(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
  const float* p = c.data_ptr<float>();
  return std::vector<float>(p, p + c.numel());
}

Dense ToDense(const torch::Tensor& w, const torch::Tensor& b) {
  Dense d;
  d.out = static_cast<size_t>(w.size(0));
  d.in = static_cast<size_t>(w.size(1));
  const std::vector<float> wf = Floats(w);  // [out][in]
  d.wt.resize(d.in * d.out);
  for (size_t o = 0; o < d.out; ++o) {
    for (size_t i = 0; i < d.in; ++i) d.wt[i * d.out + o] = wf[o * d.in + i];
  }
  d.b = Floats(b);
  return d;
}

Dense ToDense(const torch::nn::Linear& l) { return ToDense(l->weight, l->bias); }

std::vector<Recurrent> RecurrentWeights(torch::nn::Module& rnn, size_t layers) {
  auto params = rnn.named_parameters(false);
  std::vector<Recurrent> out;
  for (size_t l = 0; l < layers; ++l) {
    const std::string n = std::to_string(l);
    out.push_back({ToDense(params["weight_ih_l" + n], params["bias_ih_l" + n]),
                   ToDense(params["weight_hh_l" + n], params["bias_hh_l" + n])});
  }
  return out;
}

NetWeights ExtractWeights(tm::NetImpl& net) {
  const NetSpec& s = net.s;
  NetWeights w;
  if (net.lstm) w.rnn = RecurrentWeights(*net.lstm, s.layers);
  if (net.gru) w.rnn = RecurrentWeights(*net.gru, s.layers);
  for (auto& c : net.convs) {
    Conv cv;
    cv.out = static_cast<size_t>(c->weight.size(0));
    cv.in = static_cast<size_t>(c->weight.size(1));
    cv.kernel = static_cast<size_t>(c->weight.size(2));
    const std::vector<float> wf = Floats(c->weight);  // [out][in][kernel]
    cv.w.resize(wf.size());
    for (size_t o = 0; o < cv.out; ++o) {
      for (size_t i = 0; i < cv.in; ++i) {
        for (size_t j = 0; j < cv.kernel; ++j) {
          cv.w[(j * cv.in + i) * cv.out + o] = wf[(o * cv.in + i) * cv.kernel + j];
        }
      }
    }
    cv.b = Floats(c->bias);
    w.conv.push_back(std::move(cv));
  }
  if (net.fc) w.fc = ToDense(net.fc);
  if (net.embed) w.embed = ToDense(net.embed);
  for (auto& e : net.enc) {
    Encoder en;
    en.qkv = ToDense(e->qkv);
    en.out = ToDense(e->out);
    en.ff1 = ToDense(e->ff1);
    en.ff2 = ToDense(e->ff2);
    en.ln1 = {Floats(e->ln1->weight), Floats(e->ln1->bias)};
    en.ln2 = {Floats(e->ln2->weight), Floats(e->ln2->bias)};
    w.enc.push_back(std::move(en));
  }
  w.head = ToDense(net.head);
  w.y_mean = net.y_mean.item<double>();
  w.y_sd = net.y_sd.item<double>();
  return w;
}

// ---- Batches and losses ------------------------------------------------------------------------

// One mini-batch in torch form.
struct Batch {
  torch::Tensor x, pad, y, mask;  // stateful: [B,T,F], -, [B*T,k], [B*T,k]; windowed: [B,L,F],
                                  // [B,L], [B,k], [B,k]
};

Batch StatefulBatch(const SequenceData& data, std::span<const size_t> starts, size_t len,
                    size_t burn, size_t limit) {
  const size_t B = starts.size(), F = data.cols(), k = data.horizons();
  std::vector<float> x(B * len * F);
  std::vector<double> y(B * len * k);
  std::vector<uint8_t> m(B * len * k);
  for (size_t b = 0; b < B; ++b) {
    data.FillRows(starts[b], len, x.data() + b * len * F);
    for (size_t t = 0; t < len; ++t) {
      const size_t o = (b * len + t) * k;
      data.FillTargets(starts[b] + t, limit, y.data() + o, m.data() + o);
      if (t < burn) std::fill(m.begin() + o, m.begin() + o + k, 0);
    }
  }
  Batch out;
  const auto Bi = static_cast<int64_t>(B), Ti = static_cast<int64_t>(len);
  out.x = torch::from_blob(x.data(), {Bi, Ti, static_cast<int64_t>(F)}, torch::kFloat32).clone();
  out.y = torch::from_blob(y.data(), {Bi * Ti, static_cast<int64_t>(k)}, torch::kFloat64)
              .to(torch::kFloat32);
  out.mask = torch::from_blob(m.data(), {Bi * Ti, static_cast<int64_t>(k)}, torch::kUInt8)
                 .to(torch::kFloat32);
  return out;
}

Batch WindowedBatch(const SequenceData& data, std::span<const size_t> ends, size_t window,
                    size_t limit) {
  const size_t B = ends.size(), F = data.cols(), k = data.horizons();
  std::vector<float> x(B * window * F);
  std::vector<uint8_t> pad(B * window);
  std::vector<double> y(B * k);
  std::vector<uint8_t> m(B * k);
  for (size_t b = 0; b < B; ++b) {
    data.FillWindow(ends[b], window, 0, x.data() + b * window * F, pad.data() + b * window);
    data.FillTargets(ends[b], limit, y.data() + b * k, m.data() + b * k);
  }
  Batch out;
  const auto Bi = static_cast<int64_t>(B), Li = static_cast<int64_t>(window);
  out.x = torch::from_blob(x.data(), {Bi, Li, static_cast<int64_t>(F)}, torch::kFloat32).clone();
  out.pad = torch::from_blob(pad.data(), {Bi, Li}, torch::kUInt8).to(torch::kBool);
  out.y = torch::from_blob(y.data(), {Bi, static_cast<int64_t>(k)}, torch::kFloat64)
              .to(torch::kFloat32);
  out.mask = torch::from_blob(m.data(), {Bi, static_cast<int64_t>(k)}, torch::kUInt8)
                 .to(torch::kFloat32);
  return out;
}

// Sum of the masked per-target losses (cross-entropy, or squared error of the standardised
// target) over out [N, out_width], y / mask [N, horizons].
torch::Tensor LossSum(const NetSpec& s, const torch::Tensor& out, const torch::Tensor& y,
                      const torch::Tensor& mask) {
  const int64_t n = out.size(0), k = static_cast<int64_t>(s.horizons);
  if (s.classification) {
    torch::Tensor lp = torch::log_softmax(out.view({n, k, static_cast<int64_t>(s.outputs)}), -1);
    torch::Tensor nll = -lp.gather(-1, y.to(torch::kLong).unsqueeze(-1)).squeeze(-1);
    return (nll * mask).sum();
  }
  torch::Tensor d = out.view({n, k}) - y;
  return (d * d * mask).sum();
}

// ---- The raw model -----------------------------------------------------------------------------

class SeqModel final : public ml::RawModel {
 public:
  SeqModel(tm::Net module, std::unique_ptr<SequenceNet> net, std::string training_json)
      : module_(std::move(module)), net_(std::move(net)), training_(std::move(training_json)) {}

  void Predict(ml::MatrixView x, std::span<double> out) const override {
    const NetSpec& s = net_->spec();
    if (s.horizons == 1) {
      net_->Predict(x, out.data());
      return;
    }
    std::vector<double> all(x.rows * s.out_width());
    net_->Predict(x, all.data());
    for (size_t r = 0; r < x.rows; ++r) {
      std::copy_n(all.data() + r * s.out_width(), s.outputs, out.data() + r * s.outputs);
    }
  }
  // A one-row sequence (the live path is a stream). Allocates its scratch state.
  void PredictRow(const double* row, double* out) const override {
    SequenceNet::Stream stream(*net_);
    std::vector<double> all(net_->spec().out_width());
    stream.Step(row, all.data());
    std::copy_n(all.data(), net_->spec().outputs, out);
  }
  std::vector<double> Importance() const override { return {}; }
  Status Save(const std::string& dir) const override;
  size_t context_rows() const override { return net_->spec().context_rows(); }
  size_t horizons() const override { return net_->spec().horizons; }
  void PredictHorizons(ml::MatrixView x, std::span<double> out) const override {
    net_->Predict(x, out.data());
  }
  std::unique_ptr<ml::RawStream> NewStream() const override { return net_->NewRawStream(); }

 private:
  tm::Net module_;
  std::unique_ptr<SequenceNet> net_;
  std::string training_;
};

Status SeqModel::Save(const std::string& dir) const {
  std::ostringstream os;
  try {
    torch::serialize::OutputArchive archive;
    module_->save(archive);
    archive.save_to(os);
  } catch (const std::exception& e) {
    return Internal("save " + dir + "/" + kWeightsFile + ": " + FirstLine(e.what()));
  }
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + kWeightsFile, os.str()));
  if (!training_.empty()) {
    ARUS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + kTrainingFile, training_));
  }
  return Status::Ok();
}

// ---- Training ----------------------------------------------------------------------------------

struct TrainConfig {
  size_t epochs, batch, max_windows, lr_step, patience, nthread;
  std::string optimizer, schedule;
  double lr, weight_decay, lr_gamma, grad_clip, dropout, validation_fraction;
  int64_t burn_in = -1;
  size_t stride = 0;
};

TrainConfig ConfigFromParams(Arch a, const ml::ParamMap& p) {
  TrainConfig c;
  c.epochs = ml::GetInt(p, "epochs");
  c.batch = ml::GetInt(p, "batch_size");
  c.max_windows = ml::GetInt(p, "max_windows_per_epoch");
  c.lr_step = ml::GetInt(p, "lr_step");
  c.patience = ml::GetInt(p, "patience");
  c.nthread = ml::GetInt(p, "nthread");
  c.optimizer = ml::GetString(p, "optimizer");
  c.schedule = ml::GetString(p, "lr_schedule");
  c.lr = ml::GetDouble(p, "lr");
  c.weight_decay = ml::GetDouble(p, "weight_decay");
  c.lr_gamma = ml::GetDouble(p, "lr_gamma");
  c.grad_clip = ml::GetDouble(p, "grad_clip");
  c.dropout = ml::GetDouble(p, "dropout");
  c.validation_fraction = ml::GetDouble(p, "validation_fraction");
  if (IsStateful(a)) {
    c.burn_in = ml::GetInt(p, "burn_in");
    c.stride = ml::GetInt(p, "stride");
  }
  return c;
}

double EpochLr(const TrainConfig& c, size_t epoch) {
  if (c.schedule == "cosine") {
    return c.lr * 0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(epoch) / c.epochs));
  }
  if (c.schedule == "step") return c.lr * std::pow(c.lr_gamma, static_cast<double>(epoch / c.lr_step));
  return c.lr;
}

void SetLr(torch::optim::Optimizer& opt, bool adamw, double lr) {
  for (auto& g : opt.param_groups()) {
    if (adamw) {
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    } else {
      static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    }
  }
}

struct EpochRecord {
  size_t epoch;
  double lr, train_loss, val_loss;
};

Result<std::unique_ptr<ml::RawModel>> FitArch(Arch arch, const ml::RawFitInput& in) {
  const ml::ParamMap& p = *in.params;
  const size_t n = in.x.rows, F = in.x.cols;
  NetSpec spec = SpecFromParams(arch, p, F, static_cast<size_t>(std::max(in.num_classes, 0)));
  const TrainConfig cfg = ConfigFromParams(arch, p);
  const std::string name(ArchName(arch));
  if (arch == Arch::kTransformer && spec.d_model % spec.heads != 0) {
    return InvalidArgument("learner 'transformer': d_model = " + std::to_string(spec.d_model) +
                           " is not divisible by heads = " + std::to_string(spec.heads));
  }
  if (IsStateful(arch) && cfg.burn_in >= static_cast<int64_t>(spec.window)) {
    return InvalidArgument("learner '" + name + "': burn_in = " + std::to_string(cfg.burn_in) +
                           " must be below window = " + std::to_string(spec.window));
  }
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < F; ++c) {
      if (!std::isfinite(in.x.row(r)[c])) {
        return InvalidArgument("learner '" + name + "': missing or infinite value at row " +
                               std::to_string(r) + ", column " + std::to_string(c) +
                               " after preprocessing; dl learners need impute = true");
      }
    }
  }
  ARUS_ASSIGN_OR_RETURN(SequenceSplit split, SplitForValidation(n, in.time, in.label_end,
                                                                cfg.validation_fraction));
  const size_t train_end = split.train_end, val_start = split.val_start;
  const bool has_val = val_start < n;

  // Regression targets are standardised with the usable training targets (the network's output
  // scale stays near 1 whatever the target's units).
  std::vector<double> y(in.y.begin(), in.y.end());
  double y_mean = 0, y_sd = 1;
  if (!spec.classification) {
    double sum = 0, sq = 0;
    size_t cnt = 0;
    for (size_t j = 0; j < train_end; ++j) {
      if (!split.usable[j]) continue;
      sum += y[j];
      ++cnt;
    }
    y_mean = sum / std::max<size_t>(cnt, 1);
    for (size_t j = 0; j < train_end; ++j) {
      if (split.usable[j]) sq += (y[j] - y_mean) * (y[j] - y_mean);
    }
    y_sd = cnt > 0 ? std::sqrt(sq / cnt) : 1.0;
    if (!(y_sd > 0) || !std::isfinite(y_sd)) y_sd = 1.0;
    for (double& v : y) v = (v - y_mean) / y_sd;
  }
  const SequenceData data(in.x, y, split.usable, spec.horizons);

  // Training samples.
  const bool stateful = IsStateful(arch);
  size_t len = 0, burn = 0, stride = 1;
  std::vector<size_t> ends;
  if (stateful) {
    len = std::min(spec.window, train_end);
    if (len < 2) return InvalidArgument("learner '" + name + "': fewer than 2 training rows");
    burn = cfg.burn_in < 0 ? len / 2 : std::min<size_t>(cfg.burn_in, len - 1);
    stride = cfg.stride > 0 ? cfg.stride : std::max<size_t>(1, len - burn);
  } else {
    ends = WindowedEnds(data, 0, train_end, train_end);
    if (ends.empty()) return InvalidArgument("learner '" + name + "': no training targets");
  }
  const std::vector<size_t> val_ends =
      has_val && !stateful ? WindowedEnds(data, val_start, n, n) : std::vector<size_t>{};

  std::lock_guard<std::mutex> lock(TorchMutex());
  ThreadGuard threads(static_cast<int>(cfg.nthread));
  torch::manual_seed(in.seed);
  tm::Net net(spec, cfg.dropout);
  const bool adamw = cfg.optimizer == "adamw";
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (adamw) {
    opt = std::make_unique<torch::optim::AdamW>(
        net->parameters(), torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
  } else {
    opt = std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(cfg.lr).weight_decay(cfg.weight_decay));
  }
  std::mt19937_64 rng(in.seed ^ 0x5eedd1ULL);

  auto validation_loss = [&]() -> double {
    torch::NoGradGuard no_grad;
    net->eval();
    double sum = 0, cnt = 0;
    if (stateful) {
      // As prediction runs: from a zero state `window` rows before the slice, through its end.
      const size_t ctx = std::min(val_start, spec.window);
      const size_t first = val_start - ctx, T = n - first;
      Batch b = StatefulBatch(data, std::vector<size_t>{first}, T, ctx, n);
      torch::Tensor out = net->forward(b.x, {});
      out = out.reshape({static_cast<int64_t>(T), -1});
      sum = LossSum(spec, out, b.y, b.mask).item<double>();
      cnt = b.mask.sum().item<double>();
    } else {
      for (size_t i = 0; i < val_ends.size(); i += kEvalBatch) {
        const size_t m = std::min(kEvalBatch, val_ends.size() - i);
        Batch b = WindowedBatch(data, std::span(val_ends).subspan(i, m), spec.window, n);
        torch::Tensor out = net->forward(b.x, b.pad);
        sum += LossSum(spec, out, b.y, b.mask).item<double>();
        cnt += b.mask.sum().item<double>();
      }
    }
    return cnt > 0 ? sum / cnt : 0.0;
  };

  std::vector<torch::Tensor> params = net->parameters();
  std::vector<torch::Tensor> best;
  double best_loss = INFINITY;
  size_t best_epoch = 0, since_best = 0;
  std::vector<EpochRecord> history;
  double last_val = -1;
  for (size_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    const double lr = EpochLr(cfg, epoch);
    SetLr(*opt, adamw, lr);
    std::vector<size_t> samples =
        stateful ? StatefulStarts(train_end, len, stride, rng() % stride) : ends;
    std::shuffle(samples.begin(), samples.end(), rng);
    if (cfg.max_windows > 0 && samples.size() > cfg.max_windows) samples.resize(cfg.max_windows);
    const size_t batches = (samples.size() + cfg.batch - 1) / cfg.batch;
    net->train();
    double loss_sum = 0, loss_cnt = 0;
    for (size_t bi = 0; bi < batches; ++bi) {
      const size_t b0 = bi * cfg.batch, bn = std::min(cfg.batch, samples.size() - b0);
      std::span<const size_t> sb(samples.data() + b0, bn);
      Batch b = stateful ? StatefulBatch(data, sb, len, burn, train_end)
                         : WindowedBatch(data, sb, spec.window, train_end);
      torch::Tensor out = net->forward(b.x, b.pad);
      if (stateful) out = out.reshape({static_cast<int64_t>(bn * len), -1});
      const double cnt = b.mask.sum().item<double>();
      if (cnt == 0) continue;  // every target of these windows purged
      torch::Tensor loss = LossSum(spec, out, b.y, b.mask) / cnt;
      opt->zero_grad();
      loss.backward();
      if (cfg.grad_clip > 0) torch::nn::utils::clip_grad_norm_(params, cfg.grad_clip);
      opt->step();
      loss_sum += loss.item<double>() * cnt;
      loss_cnt += cnt;
      TrainProgress pr{name, epoch + 1, cfg.epochs, bi + 1, batches,
                       loss_cnt > 0 ? loss_sum / loss_cnt : 0.0, last_val, false};
      Report(pr);
    }
    const double train_loss = loss_cnt > 0 ? loss_sum / loss_cnt : 0.0;
    const double val = has_val ? validation_loss() : train_loss;
    if (!std::isfinite(train_loss) || !std::isfinite(val)) {
      return InvalidArgument("learner '" + name + "': the loss diverged (not finite) in epoch " +
                             std::to_string(epoch + 1) + "; lower lr or set grad_clip");
    }
    history.push_back({epoch + 1, lr, train_loss, has_val ? val : NAN});
    last_val = has_val ? val : -1;
    Report({name, epoch + 1, cfg.epochs, batches, batches, train_loss, last_val, true});
    // Best weights: by validation loss, or the latest epoch without a validation slice.
    if (!has_val || val < best_loss) {
      best_loss = val;
      best_epoch = epoch + 1;
      since_best = 0;
      best.clear();
      for (const auto& t : params) best.push_back(t.detach().clone());
    } else if (cfg.patience > 0 && ++since_best >= cfg.patience) {
      break;
    }
  }
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best[i]);
    net->y_mean.fill_(y_mean);
    net->y_sd.fill_(y_sd);
  }
  net->eval();

  nlohmann::json hist = nlohmann::json::array();
  for (const EpochRecord& r : history) {
    hist.push_back({{"epoch", r.epoch},
                    {"lr", r.lr},
                    {"train_loss", r.train_loss},
                    {"val_loss", std::isnan(r.val_loss) ? nlohmann::json(nullptr)
                                                        : nlohmann::json(r.val_loss)}});
  }
  nlohmann::json tj{{"format", "arus-dl-training"},
                    {"learner", name},
                    {"train_rows", train_end},
                    {"validation_rows", n - val_start},
                    {"purged_rows", split.purged},
                    {"best_epoch", best_epoch},
                    {"epochs_run", history.size()},
                    {"history", std::move(hist)}};
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<SequenceNet> sn,
                        SequenceNet::Create(spec, ExtractWeights(*net), name + " fit"));
  return std::unique_ptr<ml::RawModel>(
      new SeqModel(std::move(net), std::move(sn), tj.dump(1) + "\n"));
}

// ---- Load --------------------------------------------------------------------------------------

Result<std::unique_ptr<ml::RawModel>> LoadArch(Arch arch, const ml::RawLoadInput& in) {
  const ml::ModelInfo& info = *in.info;
  const size_t classes = info.task == ml::Task::kClassification ? info.classes.size() : 0;
  const NetSpec spec = SpecFromParams(arch, info.params, in.cols, classes);
  const std::string file = in.dir + "/" + kWeightsFile;
  if (arch == Arch::kTransformer && spec.d_model % spec.heads != 0) {
    return Corruption(in.dir + "/model.json: field 'params': d_model not divisible by heads");
  }
  ARUS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
  // torch stores the weights uncompressed: a file smaller than the weights cannot hold them
  // (and a hostile model.json cannot make us allocate a huge network for a small file).
  const uint64_t need = 4 * internal::ParameterCount(spec);
  if (bytes.size() < need) {
    return Corruption(file + ": " + std::to_string(bytes.size()) +
                      " bytes, too small for the model's " + std::to_string(need / 4) +
                      " weights (truncated, or model.json's parameters do not match)");
  }
  NetWeights weights;
  tm::Net net{nullptr};
  {
    std::lock_guard<std::mutex> lock(TorchMutex());
    try {
      net = tm::Net(spec, 0.0);
      std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
      for (const auto& kv : net->named_parameters()) {
        shapes.emplace_back(kv.key(), kv.value().sizes().vec());
      }
      torch::serialize::InputArchive archive;
      archive.load_from(bytes.data(), bytes.size());
      net->load(archive);
      for (const auto& [key, shape] : shapes) {
        const torch::Tensor& t = net->named_parameters()[key];
        if (t.sizes().vec() != shape || t.scalar_type() != torch::kFloat32) {
          return Corruption(file + ": tensor '" + key + "' has shape " +
                            c10::str(t.sizes()) + " (" + std::string(c10::toString(t.scalar_type())) +
                            "), the model needs " + c10::str(c10::IntArrayRef(shape)) + " (Float)");
        }
      }
      for (const torch::Tensor* t : {&net->y_mean, &net->y_sd}) {
        if (t->numel() != 1 || t->scalar_type() != torch::kFloat64) {
          return Corruption(file + ": target scaling tensors have the wrong shape");
        }
      }
      net->eval();
      weights = ExtractWeights(*net);
    } catch (const c10::Error& e) {
      return Corruption(file + ": not a readable weights file (" + FirstLine(e.what_without_backtrace()) + ")");
    } catch (const std::exception& e) {
      return Corruption(file + ": not a readable weights file (" + FirstLine(e.what()) + ")");
    }
  }
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<SequenceNet> sn,
                        SequenceNet::Create(spec, std::move(weights), file));
  std::string training;
  const std::string tfile = in.dir + "/" + kTrainingFile;
  if (auto t = ReadFile(tfile); t.ok() && t->size() <= kMaxTrainingJsonBytes) training = *t;
  return std::unique_ptr<ml::RawModel>(new SeqModel(std::move(net), std::move(sn), training));
}

template <Arch A>
Result<std::unique_ptr<ml::RawModel>> FitT(const ml::RawFitInput& in) {
  try {
    return FitArch(A, in);
  } catch (const c10::Error& e) {
    return Internal(std::string("learner '") + std::string(ArchName(A)) +
                    "': torch: " + FirstLine(e.what_without_backtrace()));
  }
}

template <Arch A>
Result<std::unique_ptr<ml::RawModel>> LoadT(const ml::RawLoadInput& in) {
  return LoadArch(A, in);
}

template <Arch A>
ml::LearnerDef Def() {
  ml::LearnerDef d;
  d.name = std::string(ArchName(A));
  d.help = Help(A);
  d.classification = true;
  d.regression = true;
  d.params = Specs(A);
  d.common.impute = true;
  d.common.clip = 5;
  d.common.standardize = true;
  d.common.calibration = "none";
  d.fit = &FitT<A>;
  d.load = &LoadT<A>;
  return d;
}

}  // namespace

void RegisterLearners() {
  ml::RegisterLearner(Def<Arch::kLstm>());
  ml::RegisterLearner(Def<Arch::kGru>());
  ml::RegisterLearner(Def<Arch::kTransformer>());
  ml::RegisterLearner(Def<Arch::kCnn>());
  ml::RegisterLearner(Def<Arch::kCnnLstm>());
}

void SetTrainProgress(TrainProgressFn fn) {
  std::lock_guard<std::mutex> lock(ProgressMutex());
  ProgressFn() = std::move(fn);
}

namespace internal {

uint64_t ParameterCount(const NetSpec& s) {
  auto dense = [](uint64_t in, uint64_t out) { return in * out + out; };
  auto rnn = [&](uint64_t in, uint64_t gates) {
    uint64_t total = 0;
    for (size_t l = 0; l < s.layers; ++l) {
      total += dense(l == 0 ? in : s.hidden, gates * s.hidden) + dense(s.hidden, gates * s.hidden);
    }
    return total;
  };
  auto convs = [&]() {
    uint64_t total = 0;
    for (size_t l = 0; l < s.conv_layers; ++l) {
      total += uint64_t{l == 0 ? s.inputs : s.channels} * s.channels * s.kernel + s.channels;
    }
    return total;
  };
  const uint64_t outw = s.out_width();
  switch (s.arch) {
    case Arch::kLstm:
      return rnn(s.inputs, 4) + dense(s.hidden, outw);
    case Arch::kGru:
      return rnn(s.inputs, 3) + dense(s.hidden, outw);
    case Arch::kCnn:
      return convs() + dense(uint64_t{s.window} * s.channels, s.hidden) + dense(s.hidden, outw);
    case Arch::kCnnLstm:
      return convs() + rnn(s.channels, 4) + dense(s.hidden, outw);
    case Arch::kTransformer: {
      const uint64_t d = s.d_model;
      const uint64_t layer = dense(d, 3 * d) + dense(d, d) + dense(d, s.ff) + dense(s.ff, d) + 4 * d;
      return dense(s.inputs, d) + s.layers * layer + dense(d, outw);
    }
  }
  return 0;
}

Result<double> TorchVersusNet(const NetSpec& spec, uint64_t seed, ml::MatrixView x) {
  std::lock_guard<std::mutex> lock(TorchMutex());
  try {
    ThreadGuard threads(1);
    torch::manual_seed(seed);
    tm::Net net(spec, 0.0);
    net->eval();
    torch::NoGradGuard no_grad;
    ARUS_ASSIGN_OR_RETURN(std::unique_ptr<SequenceNet> sn,
                          SequenceNet::Create(spec, ExtractWeights(*net), "test"));
    const size_t n = x.rows, w = spec.out_width();
    std::vector<double> mine(n * w);
    sn->Predict(x, mine.data());

    std::vector<double> y(n, 0.0);
    std::vector<uint8_t> usable(n, 1);
    const SequenceData data(x, y, usable, spec.horizons);
    torch::Tensor out;
    if (IsStateful(spec.arch)) {
      Batch b = StatefulBatch(data, std::vector<size_t>{0}, n, 0, n);
      out = net->forward(b.x, {}).reshape({static_cast<int64_t>(n), -1});
    } else {
      std::vector<size_t> rows(n);
      for (size_t i = 0; i < n; ++i) rows[i] = i;
      Batch b = WindowedBatch(data, rows, spec.window, n);
      out = net->forward(b.x, b.pad);
    }
    const std::vector<float> logits = Floats(out);
    double worst = 0;
    for (size_t r = 0; r < n; ++r) {
      for (size_t h = 0; h < spec.horizons; ++h) {
        const float* l = logits.data() + r * w + h * spec.outputs;
        const double* m = mine.data() + r * w + h * spec.outputs;
        if (!spec.classification) {
          worst = std::max(worst, std::fabs(static_cast<double>(l[0]) - m[0]));
          continue;
        }
        double mx = l[0], sum = 0;
        for (size_t c = 1; c < spec.outputs; ++c) mx = std::max(mx, static_cast<double>(l[c]));
        for (size_t c = 0; c < spec.outputs; ++c) sum += std::exp(l[c] - mx);
        for (size_t c = 0; c < spec.outputs; ++c) {
          worst = std::max(worst, std::fabs(std::exp(l[c] - mx) / sum - m[c]));
        }
      }
    }
    return worst;
  } catch (const c10::Error& e) {
    return Internal(std::string("torch: ") + FirstLine(e.what_without_backtrace()));
  }
}

}  // namespace internal

}  // namespace arus::dl
