#include "dl/sequence_net.h"

#include <algorithm>
#include <cmath>

namespace arus::dl {

namespace {

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

Status Bad(const std::string& origin, const std::string& what) {
  return Corruption(origin + ": " + what);
}

Status CheckDense(const Dense& d, size_t in, size_t out, const std::string& origin,
                  const std::string& name) {
  if (d.in != in || d.out != out || d.wt.size() != in * out || d.b.size() != out) {
    return Bad(origin, "weights '" + name + "' have shape " + std::to_string(d.out) + "x" +
                           std::to_string(d.in) + ", the model needs " + std::to_string(out) +
                           "x" + std::to_string(in));
  }
  return Status::Ok();
}

bool AllFinite(const std::vector<float>& v) {
  for (float f : v) {
    if (!std::isfinite(f)) return false;
  }
  return true;
}

// Layer norm over d values in place (mean and biased variance accumulated in double).
void LayerNorm(const Norm& n, float* x, size_t d) {
  double mean = 0;
  for (size_t i = 0; i < d; ++i) mean += x[i];
  mean /= static_cast<double>(d);
  double var = 0;
  for (size_t i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(d);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + 1e-5));
  const float m = static_cast<float>(mean);
  for (size_t i = 0; i < d; ++i) x[i] = (x[i] - m) * inv * n.g[i] + n.b[i];
}

// Causal convolutions + ReLU over a window of L positions: in (L x first.in) -> the output of
// the last layer in `a` or `b` (returned).
float* ConvStack(const std::vector<Conv>& convs, size_t window, const float* in, float* a,
                 float* b) {
  const float* cur = in;
  float* dst = a;
  for (const Conv& c : convs) {
    for (size_t t = 0; t < window; ++t) {
      float* y = dst + t * c.out;
      std::copy(c.b.begin(), c.b.end(), y);
      for (size_t j = 0; j < c.kernel; ++j) {
        const size_t back = c.kernel - 1 - j;
        if (back > t) continue;  // before the window: zero padding
        const float* x = cur + (t - back) * c.in;
        const float* w = c.w.data() + j * c.in * c.out;
        for (size_t i = 0; i < c.in; ++i) {
          const float xi = x[i];
          const float* wr = w + i * c.out;
          for (size_t o = 0; o < c.out; ++o) y[o] += xi * wr[o];
        }
      }
      for (size_t o = 0; o < c.out; ++o) y[o] = std::max(y[o], 0.0f);
    }
    cur = dst;
    dst = dst == a ? b : a;
  }
  return const_cast<float*>(cur);
}

}  // namespace

std::string_view ArchName(Arch a) {
  switch (a) {
    case Arch::kLstm:
      return "lstm";
    case Arch::kGru:
      return "gru";
    case Arch::kTransformer:
      return "transformer";
    case Arch::kCnn:
      return "cnn";
    case Arch::kCnnLstm:
      return "cnn_lstm";
  }
  return "?";
}

bool IsStateful(Arch a) { return a == Arch::kLstm || a == Arch::kGru; }

size_t NetSpec::context_rows() const { return IsStateful(arch) ? window : window - 1; }

void Dense::Apply(const float* x, float* y) const {
  std::copy(b.begin(), b.end(), y);
  const float* w = wt.data();
  for (size_t i = 0; i < in; ++i) {
    const float xi = x[i];
    const float* wr = w + i * out;
    for (size_t o = 0; o < out; ++o) y[o] += xi * wr[o];
  }
}

std::vector<float> PositionalEncoding(size_t window, size_t d_model) {
  std::vector<float> pe(window * d_model);
  for (size_t p = 0; p < window; ++p) {
    for (size_t i = 0; i < d_model; i += 2) {
      const double angle = static_cast<double>(p) /
                           std::pow(10000.0, static_cast<double>(i) / static_cast<double>(d_model));
      pe[p * d_model + i] = static_cast<float>(std::sin(angle));
      if (i + 1 < d_model) pe[p * d_model + i + 1] = static_cast<float>(std::cos(angle));
    }
  }
  return pe;
}

SequenceNet::SequenceNet(NetSpec spec, NetWeights w) : spec_(spec), w_(std::move(w)) {
  if (spec_.arch == Arch::kTransformer) pe_ = PositionalEncoding(spec_.window, spec_.d_model);
}

Result<std::unique_ptr<SequenceNet>> SequenceNet::Create(const NetSpec& s, NetWeights w,
                                                         const std::string& origin) {
  if (s.inputs == 0 || s.outputs == 0 || s.horizons == 0 || s.window == 0) {
    return Bad(origin, "empty network shape");
  }
  const bool gru = s.arch == Arch::kGru;
  auto check_rnn = [&](size_t in, size_t layers) -> Status {
    if (w.rnn.size() != layers) {
      return Bad(origin, std::to_string(w.rnn.size()) + " recurrent layers, the model needs " +
                             std::to_string(layers));
    }
    const size_t g = (gru ? 3 : 4) * s.hidden;
    for (size_t l = 0; l < layers; ++l) {
      const std::string n = "rnn" + std::to_string(l);
      ARUS_RETURN_IF_ERROR(CheckDense(w.rnn[l].ih, l == 0 ? in : s.hidden, g, origin, n + ".ih"));
      ARUS_RETURN_IF_ERROR(CheckDense(w.rnn[l].hh, s.hidden, g, origin, n + ".hh"));
    }
    return Status::Ok();
  };
  auto check_conv = [&]() -> Status {
    if (w.conv.size() != s.conv_layers) {
      return Bad(origin, std::to_string(w.conv.size()) + " convolution layers, the model needs " +
                             std::to_string(s.conv_layers));
    }
    for (size_t l = 0; l < s.conv_layers; ++l) {
      const Conv& c = w.conv[l];
      const size_t in = l == 0 ? s.inputs : s.channels;
      if (c.in != in || c.out != s.channels || c.kernel != s.kernel ||
          c.w.size() != in * s.channels * s.kernel || c.b.size() != s.channels) {
        return Bad(origin, "convolution " + std::to_string(l) + " has the wrong shape");
      }
    }
    return Status::Ok();
  };
  switch (s.arch) {
    case Arch::kLstm:
    case Arch::kGru:
      ARUS_RETURN_IF_ERROR(check_rnn(s.inputs, s.layers));
      ARUS_RETURN_IF_ERROR(CheckDense(w.head, s.hidden, s.out_width(), origin, "head"));
      break;
    case Arch::kCnn:
      ARUS_RETURN_IF_ERROR(check_conv());
      ARUS_RETURN_IF_ERROR(CheckDense(w.fc, s.window * s.channels, s.hidden, origin, "fc"));
      ARUS_RETURN_IF_ERROR(CheckDense(w.head, s.hidden, s.out_width(), origin, "head"));
      break;
    case Arch::kCnnLstm:
      ARUS_RETURN_IF_ERROR(check_conv());
      ARUS_RETURN_IF_ERROR(check_rnn(s.channels, s.layers));
      ARUS_RETURN_IF_ERROR(CheckDense(w.head, s.hidden, s.out_width(), origin, "head"));
      break;
    case Arch::kTransformer: {
      const size_t d = s.d_model;
      if (s.heads == 0 || d % s.heads != 0) return Bad(origin, "d_model not divisible by heads");
      ARUS_RETURN_IF_ERROR(CheckDense(w.embed, s.inputs, d, origin, "embed"));
      if (w.enc.size() != s.layers) {
        return Bad(origin, std::to_string(w.enc.size()) + " encoder layers, the model needs " +
                               std::to_string(s.layers));
      }
      for (size_t l = 0; l < s.layers; ++l) {
        const Encoder& e = w.enc[l];
        const std::string n = "enc" + std::to_string(l);
        ARUS_RETURN_IF_ERROR(CheckDense(e.qkv, d, 3 * d, origin, n + ".qkv"));
        ARUS_RETURN_IF_ERROR(CheckDense(e.out, d, d, origin, n + ".out"));
        ARUS_RETURN_IF_ERROR(CheckDense(e.ff1, d, s.ff, origin, n + ".ff1"));
        ARUS_RETURN_IF_ERROR(CheckDense(e.ff2, s.ff, d, origin, n + ".ff2"));
        for (const Norm* nm : {&e.ln1, &e.ln2}) {
          if (nm->g.size() != d || nm->b.size() != d) return Bad(origin, n + ": bad layer norm");
        }
      }
      ARUS_RETURN_IF_ERROR(CheckDense(w.head, d, s.out_width(), origin, "head"));
      break;
    }
  }
  // Every weight finite: a damaged file must not turn into NaN predictions.
  std::vector<const std::vector<float>*> all;
  auto add_dense = [&](const Dense& d) {
    all.push_back(&d.wt);
    all.push_back(&d.b);
  };
  for (const Recurrent& r : w.rnn) {
    add_dense(r.ih);
    add_dense(r.hh);
  }
  for (const Conv& c : w.conv) {
    all.push_back(&c.w);
    all.push_back(&c.b);
  }
  add_dense(w.fc);
  add_dense(w.embed);
  for (const Encoder& e : w.enc) {
    for (const Dense* d : {&e.qkv, &e.out, &e.ff1, &e.ff2}) add_dense(*d);
    for (const Norm* nm : {&e.ln1, &e.ln2}) {
      all.push_back(&nm->g);
      all.push_back(&nm->b);
    }
  }
  add_dense(w.head);
  for (const auto* v : all) {
    if (!AllFinite(*v)) return Bad(origin, "weights hold NaN or infinity");
  }
  if (!std::isfinite(w.y_mean) || !(w.y_sd > 0) || !std::isfinite(w.y_sd)) {
    return Bad(origin, "bad target scaling (y_mean, y_sd)");
  }
  return std::unique_ptr<SequenceNet>(new SequenceNet(s, std::move(w)));
}

size_t SequenceNet::RingWidth() const {
  return spec_.arch == Arch::kTransformer ? spec_.d_model : spec_.inputs;
}

size_t SequenceNet::ScratchSize() const {
  const NetSpec& s = spec_;
  const size_t L = s.window;
  switch (s.arch) {
    case Arch::kLstm:
    case Arch::kGru:
      return 8 * s.hidden;
    case Arch::kCnn:
    case Arch::kCnnLstm: {
      const size_t wide = std::max(s.inputs, s.channels);
      // window, two conv buffers, fc output / recurrent state and gates
      return L * s.inputs + 2 * L * wide + s.hidden + 2 * s.layers * s.hidden + 8 * s.hidden;
    }
    case Arch::kTransformer: {
      const size_t d = s.d_model;
      // h, qkv, keys transposed, scores, attention, two row buffers, feed-forward
      return L * d + 3 * L * d + d * L + L + L * d + 2 * d + s.ff;
    }
  }
  return 0;
}

void SequenceNet::RecurrentStep(const std::vector<Recurrent>& layers, size_t H, bool gru,
                                const float* row, float* h, float* c, float* scratch) const {
  const float* x = row;
  const size_t g = (gru ? 3 : 4) * H;
  float* gi = scratch;
  float* gh = scratch + g;
  for (size_t l = 0; l < layers.size(); ++l) {
    float* hl = h + l * H;
    layers[l].ih.Apply(x, gi);
    layers[l].hh.Apply(hl, gh);
    if (gru) {
      for (size_t j = 0; j < H; ++j) {
        const float r = Sigmoid(gi[j] + gh[j]);
        const float z = Sigmoid(gi[H + j] + gh[H + j]);
        const float n = std::tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        hl[j] = (1.0f - z) * n + z * hl[j];
      }
    } else {
      float* cl = c + l * H;
      for (size_t j = 0; j < H; ++j) {
        const float i = Sigmoid(gi[j] + gh[j]);
        const float f = Sigmoid(gi[H + j] + gh[H + j]);
        const float gg = std::tanh(gi[2 * H + j] + gh[2 * H + j]);
        const float o = Sigmoid(gi[3 * H + j] + gh[3 * H + j]);
        cl[j] = f * cl[j] + i * gg;
        hl[j] = o * std::tanh(cl[j]);
      }
    }
    x = hl;
  }
}

void SequenceNet::WindowLogits(const float* rows, size_t m, float* s, float* logits) const {
  const NetSpec& sp = spec_;
  const size_t L = sp.window;
  if (sp.arch == Arch::kCnn || sp.arch == Arch::kCnnLstm) {
    const size_t F = sp.inputs, wide = std::max(sp.inputs, sp.channels);
    float* win = s;
    float* a = win + L * F;
    float* b = a + L * wide;
    float* rest = b + L * wide;
    std::fill(win, win + (L - m) * F, 0.0f);
    std::copy(rows, rows + m * F, win + (L - m) * F);
    const float* feat = ConvStack(w_.conv, L, win, a, b);
    if (sp.arch == Arch::kCnn) {
      float* hid = rest;
      w_.fc.Apply(feat, hid);
      for (size_t j = 0; j < sp.hidden; ++j) hid[j] = std::max(hid[j], 0.0f);
      w_.head.Apply(hid, logits);
      return;
    }
    const size_t H = sp.hidden;
    float* h = rest;
    float* c = h + sp.layers * H;
    float* gates = c + sp.layers * H;
    std::fill(h, h + 2 * sp.layers * H, 0.0f);
    for (size_t t = 0; t < L; ++t) {
      RecurrentStep(w_.rnn, H, false, feat + t * sp.channels, h, c, gates);
    }
    w_.head.Apply(h + (sp.layers - 1) * H, logits);
    return;
  }
  // Transformer over the m valid positions (padding is masked: it never enters attention).
  const size_t d = sp.d_model, heads = sp.heads, dh = d / heads;
  float* h = s;
  float* qkv = h + L * d;
  float* kt = qkv + 3 * L * d;
  float* sc = kt + d * L;
  float* att = sc + L;
  float* t1 = att + L * d;
  float* t2 = t1 + d;
  float* ffb = t2 + d;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  for (size_t t = 0; t < m; ++t) {
    const float* pe = pe_.data() + (L - m + t) * d;
    for (size_t e = 0; e < d; ++e) h[t * d + e] = rows[t * d + e] + pe[e];
  }
  for (size_t l = 0; l < sp.layers; ++l) {
    const Encoder& enc = w_.enc[l];
    for (size_t t = 0; t < m; ++t) enc.qkv.Apply(h + t * d, qkv + t * 3 * d);
    for (size_t e = 0; e < d; ++e) {
      for (size_t t = 0; t < m; ++t) kt[e * m + t] = qkv[t * 3 * d + d + e];
    }
    // The last layer only needs the current row's output.
    const size_t q0 = l + 1 == sp.layers ? m - 1 : 0;
    for (size_t t = q0; t < m; ++t) {
      const float* q = qkv + t * 3 * d;
      float* at = att + t * d;
      for (size_t a = 0; a < heads; ++a) {
        std::fill(sc, sc + m, 0.0f);
        for (size_t e = a * dh; e < (a + 1) * dh; ++e) {
          const float qe = q[e];
          const float* kr = kt + e * m;
          for (size_t u = 0; u < m; ++u) sc[u] += qe * kr[u];
        }
        float mx = -INFINITY;
        for (size_t u = 0; u < m; ++u) {
          sc[u] *= scale;
          mx = std::max(mx, sc[u]);
        }
        float sum = 0;
        for (size_t u = 0; u < m; ++u) {
          sc[u] = std::exp(sc[u] - mx);
          sum += sc[u];
        }
        const float inv = 1.0f / sum;
        float* ah = at + a * dh;
        std::fill(ah, ah + dh, 0.0f);
        for (size_t u = 0; u < m; ++u) {
          const float p = sc[u] * inv;
          const float* v = qkv + u * 3 * d + 2 * d + a * dh;
          for (size_t e = 0; e < dh; ++e) ah[e] += p * v[e];
        }
      }
      // Rows of h at or after t are no longer read (their keys and values are in qkv).
      float* ht = h + t * d;
      enc.out.Apply(at, t1);
      for (size_t e = 0; e < d; ++e) t1[e] += ht[e];
      LayerNorm(enc.ln1, t1, d);
      enc.ff1.Apply(t1, ffb);
      for (size_t j = 0; j < sp.ff; ++j) ffb[j] = std::max(ffb[j], 0.0f);
      enc.ff2.Apply(ffb, t2);
      for (size_t e = 0; e < d; ++e) ht[e] = t1[e] + t2[e];
      LayerNorm(enc.ln2, ht, d);
    }
  }
  w_.head.Apply(h + (m - 1) * d, logits);
}

void SequenceNet::Finish(const float* logits, double* out) const {
  const size_t k = spec_.outputs;
  for (size_t hz = 0; hz < spec_.horizons; ++hz) {
    const float* l = logits + hz * k;
    double* o = out + hz * k;
    if (!spec_.classification) {
      o[0] = w_.y_mean + w_.y_sd * static_cast<double>(l[0]);
      continue;
    }
    double mx = l[0];
    for (size_t c = 1; c < k; ++c) mx = std::max(mx, static_cast<double>(l[c]));
    double sum = 0;
    for (size_t c = 0; c < k; ++c) {
      o[c] = std::exp(static_cast<double>(l[c]) - mx);
      sum += o[c];
    }
    for (size_t c = 0; c < k; ++c) o[c] /= sum;
  }
}

void SequenceNet::Predict(ml::MatrixView x, double* out) const {
  // The same steps as the live path: equal bits by construction.
  Stream s(*this);
  const size_t width = spec_.out_width();
  for (size_t r = 0; r < x.rows; ++r) s.Step(x.row(r), out + r * width);
}

SequenceNet::Stream::Stream(const SequenceNet& net) : net_(net) {
  const NetSpec& s = net.spec_;
  if (IsStateful(s.arch)) {
    h_.assign(s.layers * s.hidden, 0.0f);
    c_.assign(s.layers * s.hidden, 0.0f);
  } else {
    // Two halves: the ring, then the current window copied oldest-first.
    ring_.assign(2 * s.window * net.RingWidth(), 0.0f);
  }
  row_.resize(s.inputs);
  scratch_.resize(net.ScratchSize());
  logits_.resize(s.out_width());
}

void SequenceNet::Stream::Reset() {
  std::fill(h_.begin(), h_.end(), 0.0f);
  std::fill(c_.begin(), c_.end(), 0.0f);
  std::fill(ring_.begin(), ring_.end(), 0.0f);
  count_ = 0;
}

void SequenceNet::Stream::Step(const double* row, double* out) {
  const NetSpec& s = net_.spec_;
  for (size_t c = 0; c < s.inputs; ++c) row_[c] = static_cast<float>(row[c]);
  if (IsStateful(s.arch)) {
    net_.RecurrentStep(net_.w_.rnn, s.hidden, s.arch == Arch::kGru, row_.data(), h_.data(),
                       c_.data(), scratch_.data());
    net_.w_.head.Apply(h_.data() + (s.layers - 1) * s.hidden, logits_.data());
    net_.Finish(logits_.data(), out);
    return;
  }
  const size_t L = s.window, width = net_.RingWidth();
  float* ring = ring_.data();
  float* slot = ring + (count_ % L) * width;
  if (s.arch == Arch::kTransformer) {
    net_.w_.embed.Apply(row_.data(), slot);
  } else {
    std::copy(row_.begin(), row_.end(), slot);
  }
  ++count_;
  const size_t m = std::min(count_, L);
  float* win = ring + L * width;
  for (size_t i = 0; i < m; ++i) {
    const float* src = ring + ((count_ - m + i) % L) * width;
    std::copy(src, src + width, win + i * width);
  }
  net_.WindowLogits(win, m, scratch_.data(), logits_.data());
  net_.Finish(logits_.data(), out);
}

namespace {

class NetRawStream final : public ml::RawStream {
 public:
  explicit NetRawStream(const SequenceNet& net)
      : stream_(net), out_(net.spec().out_width()), k_(net.spec().outputs) {}
  void Step(const double* row, double* out) override {
    stream_.Step(row, out_.data());
    std::copy(out_.begin(), out_.begin() + k_, out);
  }
  void Reset() override { stream_.Reset(); }

 private:
  SequenceNet::Stream stream_;
  std::vector<double> out_;
  size_t k_;
};

}  // namespace

std::unique_ptr<ml::RawStream> SequenceNet::NewRawStream() const {
  return std::make_unique<NetRawStream>(*this);
}

}  // namespace arus::dl
