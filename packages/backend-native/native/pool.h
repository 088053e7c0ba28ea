// A tiny fork-join thread pool sized to the cores: the calling thread runs chunk 0, workers run the rest.
// Workers spin briefly and then sleep on a condition variable, so an idle pool costs nothing while OpenBLAS
// (or the JS thread) runs; one parallel region at a time (calls come from the JS thread only).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vtx {

class Pool {
 public:
  explicit Pool(int threads);
  ~Pool();
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Run fn(t) for t in [0, n) across the pool (n <= size() runs one task per thread; more are dealt out).
  void run(int n, const std::function<void(int)>& fn);

 private:
  void loop(int id);
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool claim(uint64_t gen, int* t);
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> pending_{0};
  int next_ = 0;  // guarded by mu_
  int tasks_ = 0;  // guarded by mu_
  const std::function<void(int)>* fn_ = nullptr;
  bool stop_ = false;
};

Pool& pool();

// Split [0, n) into contiguous ranges, one per thread, when n * cost is worth it; fn(begin, end).
void parallel_range(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace vtx
