#include "common/work_queue.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau {
namespace {

TEST(WorkQueue, RunsTasksInOrderOnItsOwnThread) {
  WorkQueue queue("test");
  queue.Start();
  absl::Mutex mu;
  std::vector<int> order;
  std::thread::id worker;
  for (int i = 0; i < 100; ++i) {
    queue.Post([&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      worker = std::this_thread::get_id();
    });
  }
  ASSERT_TRUE(queue.WaitIdle(absl::Seconds(30)));
  EXPECT_EQ(queue.pending(), 0);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_NE(worker, std::this_thread::get_id());
}

TEST(WorkQueue, StopRunsWhatWasPostedIncludingTasksPostedByTasks) {
  WorkQueue queue("test");
  queue.Start();
  std::atomic<int> ran{0};
  absl::Notification release;
  queue.Post([&] { release.WaitForNotification(); });
  for (int i = 0; i < 10; ++i) {
    queue.Post([&] {
      ++ran;
      queue.Post([&] { ++ran; });  // after Stop() began: runs on the poster's thread
    });
  }
  release.Notify();
  queue.Stop();
  EXPECT_EQ(ran.load(), 20);
  queue.Post([&] { ++ran; });  // stopped: runs here, not lost
  EXPECT_EQ(ran.load(), 21);
}

TEST(WorkQueue, WaitIdleTimesOutWhileATaskRuns) {
  WorkQueue queue("test");
  queue.Start();
  absl::Notification release;
  queue.Post([&] { release.WaitForNotification(); });
  EXPECT_FALSE(queue.WaitIdle(absl::Milliseconds(50)));
  EXPECT_EQ(queue.pending(), 1);
  release.Notify();
  EXPECT_TRUE(queue.WaitIdle(absl::Seconds(30)));
}

}  // namespace
}  // namespace pantau
