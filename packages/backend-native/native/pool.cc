#include "pool.h"

#include <cstdlib>

#include <algorithm>

namespace vtx {

Pool::Pool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { loop(i); });
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    gen_++;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void Pool::loop(int) {
  uint64_t seen = 0;
  for (;;) {
    // spin a little (work usually comes in bursts), then sleep
    for (int i = 0; i < 4000 && gen_.load(std::memory_order_acquire) == seen; i++) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return gen_.load() != seen; });
      if (stop_) return;
      seen = gen_.load();
    }
    const std::function<void(int)>* fn = nullptr;
    for (int t; claim(seen, &t);) {
      if (!fn) {
        std::lock_guard<std::mutex> lk(mu_);
        fn = fn_;
      }
      (*fn)(t);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

// Claim the next task of generation `gen` (a straggler from an older run gets nothing).
bool Pool::claim(uint64_t gen, int* t) {
  std::lock_guard<std::mutex> lk(mu_);
  if (gen_.load() != gen || next_ >= tasks_) return false;
  *t = next_++;
  return true;
}

void Pool::run(int n, const std::function<void(int)>& fn) {
  if (n <= 1 || workers_.empty()) {
    for (int t = 0; t < n; t++) fn(t);
    return;
  }
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lk(mu_);
    fn_ = &fn;
    tasks_ = n;
    next_ = 0;
    pending_.store(n);
    gen = ++gen_;
  }
  cv_.notify_all();
  for (int t; claim(gen, &t);) {
    fn(t);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
  // wait for the workers: spin briefly, then yield the core (on an oversubscribed machine a descheduled
  // worker would otherwise cost a whole time slice of spinning)
  for (int spins = 0; pending_.load(std::memory_order_acquire) > 0; spins++) {
    if (spins < 2000) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }
}

// The pool's size, fixed at the first parallel kernel: VTX_THREADS when set (data-parallel ranks sharing a
// machine divide its cores), else the machine's cores; at most 64.
static int default_threads() {
  if (const char* env = std::getenv("VTX_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 64);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 64u));
}

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

void parallel_range(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn) {
  int threads = pool().size();
  int64_t parts = std::min<int64_t>(threads, std::max<int64_t>(1, n / std::max<int64_t>(1, min_per_thread)));
  if (parts <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  pool().run(static_cast<int>(parts), [&](int t) {
    int64_t b = n * t / parts, e = n * (t + 1) / parts;
    if (b < e) fn(b, e);
  });
}

}  // namespace vtx
