// Proves Debian's GoogleTest and GoogleMock link and run.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int Now() = 0;
};

class MockClock : public Clock {
 public:
  MOCK_METHOD(int, Now, (), (override));
};

TEST(GtestTest, MatchersAndMocks) {
  EXPECT_THAT(std::vector<std::string>({"a", "b"}),
              testing::ElementsAre("a", testing::HasSubstr("b")));
  MockClock clock;
  EXPECT_CALL(clock, Now()).WillOnce(testing::Return(7));
  EXPECT_EQ(clock.Now(), 7);
}

}  // namespace
