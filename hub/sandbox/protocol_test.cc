#include "hub/sandbox/protocol.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/hubconf/entry_cache.h"

namespace hub::sandbox {
namespace {

using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

HubconfDescription Sample() {
  HubconfDescription d;
  d.entrypoints = {"resnet", "tiny"};
  d.docs = {{"resnet", std::string("A residual network.")}, {"tiny", std::nullopt}};
  d.help_error = "";
  d.sys_path = {"/repo", "/usr/lib/python3.11"};
  d.module_files = {"/usr/lib/python3.11/os.py"};
  return d;
}

std::string U32(uint32_t v) { return EncodeFrame(std::string(v, 'x')).substr(0, 4); }

TEST(ProtocolTest, ADescriptionRoundTrips) {
  const absl::StatusOr<HubconfDescription> d = ParseAnswer(EncodeDescription(Sample()));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->entrypoints, ElementsAre("resnet", "tiny"));
  EXPECT_THAT(d->docs,
              ElementsAre(Pair("resnet", ::testing::Optional(std::string("A residual network."))),
                          Pair("tiny", ::testing::Eq(std::nullopt))));
  EXPECT_EQ(d->sys_path, Sample().sys_path);
  EXPECT_EQ(d->module_files, Sample().module_files);
}

TEST(ProtocolTest, TheWorkersErrorKeepsItsCodeAndMessage) {
  EXPECT_THAT(ParseAnswer(EncodeError(absl::NotFoundError("Cannot find callable x in hubconf"))),
              StatusIs(absl::StatusCode::kNotFound, "Cannot find callable x in hubconf"));
}

TEST(ProtocolTest, AFrameCarriesItsLengthBigEndian) {
  const std::string frame = EncodeFrame("abc");
  EXPECT_EQ(frame, std::string("\0\0\0\3abc", 7));
  EXPECT_EQ(DecodeFrameLength(frame), 3u);
  EXPECT_EQ(DecodeFrameLength("\xff\xff\xff\xff"), 0xffffffffu);
}

TEST(ProtocolTest, ADescribeRequestRoundTripsAndNothingElseIsOne) {
  EXPECT_THAT(ParseDescribeRequest(EncodeDescribeRequest("/hub/repo")),
              ::hub::testing::IsOkAndHolds(std::string("/hub/repo")));
  EXPECT_THAT(ParseDescribeRequest(EncodeDescription(Sample())),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseDescribeRequest(EncodeDescribeRequest("/a") + "x"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unexpected bytes")));
}

struct Malformed {
  const char* name;
  std::string payload;
  const char* says;
};

class MalformedAnswerTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedAnswerTest, IsDataLossSayingWhatWasWrong) {
  EXPECT_THAT(ParseAnswer(GetParam().payload),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(GetParam().says)));
}

std::string Valid() { return EncodeDescription(Sample()); }

INSTANTIATE_TEST_SUITE_P(
    ProtocolTest, MalformedAnswerTest,
    ::testing::Values(
        Malformed{"Empty", "", "empty message"}, Malformed{"UnknownKind", "z", "unknown kind 122"},
        Malformed{"EveryTruncation", Valid().substr(0, Valid().size() - 1), "ends inside"},
        Malformed{"TrailingBytes", Valid() + "!", "unexpected bytes"},
        Malformed{"HugeListCount", "d" + U32(0xffffffff), "ends inside the entrypoints"},
        Malformed{"HugeStringLength", "d" + U32(1) + U32(0x7fffffff) + "a", "ends inside"},
        Malformed{"NulInAName", "d" + U32(1) + U32(3) + std::string("a\0b", 3), "NUL byte"},
        Malformed{"EmptyName", "d" + U32(1) + U32(0), "empty entry name"},
        Malformed{"ControlCharacterInAName", "d" + U32(1) + U32(3) + "a\033b", "control character"},
        Malformed{"BadDocFlag", "d" + U32(0) + U32(1) + U32(1) + "a" + "\2" + U32(0),
                  "bad docstring flag"},
        Malformed{"TextForAMissingDoc",
                  "d" + U32(0) + U32(1) + U32(1) + "a" + std::string(1, '\0') + U32(1) + "x",
                  "missing docstring"},
        Malformed{"ErrorCodeZero", "e" + std::string(1, '\0') + U32(0), "error code 0"},
        Malformed{"ErrorCodeUnknown", "e" + std::string(1, '\x63') + U32(0), "error code 99"}),
    [](const ::testing::TestParamInfo<Malformed>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ProtocolTest, EveryPrefixOfAValidAnswerIsRefused) {
  const std::string valid = Valid();
  for (size_t n = 0; n < valid.size(); ++n) {
    EXPECT_THAT(ParseAnswer(absl::string_view(valid).substr(0, n)),
                StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
}

TEST(ProtocolTest, ALoadConversationRoundTrips) {
  LoadRequest request;
  request.repo_dir = "/hub/repo";
  request.entry = "net";
  request.args = std::string("L\0\0\0\0", 5);
  request.torchscript = true;
  request.example_inputs = std::string("\0zip", 4);
  const absl::StatusOr<LoadRequest> r = ParseLoadRequest(EncodeLoadRequest(request));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->repo_dir, "/hub/repo");
  EXPECT_EQ(r->entry, "net");
  EXPECT_EQ(r->args, request.args);
  EXPECT_EQ(r->example_inputs, request.example_inputs);

  WorkerRequest w;
  w.kind = WorkerRequest::Kind::kDownloadUrlToFile;
  w.url = "http://127.0.0.1:1/w.pt";
  w.file_name = "w-abcdef.pt";
  w.check_hash = true;
  w.hash_prefix = "abcdef12";
  const absl::StatusOr<WorkerRequest> back = ParseWorkerRequest(EncodeWorkerRequest(w));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kind, WorkerRequest::Kind::kDownloadUrlToFile);
  EXPECT_EQ(back->url, w.url);
  EXPECT_EQ(back->file_name, w.file_name);
  EXPECT_TRUE(back->check_hash);
  EXPECT_EQ(back->hash_prefix, "abcdef12");

  EXPECT_THAT(ParseReply(EncodeReply(std::string("/hub/checkpoints/w.pt"))),
              ::hub::testing::IsOkAndHolds(std::string("/hub/checkpoints/w.pt")));
  EXPECT_THAT(ParseReply(EncodeReply(absl::PermissionDeniedError("no"))),
              StatusIs(absl::StatusCode::kPermissionDenied, "no"));

  LoadAnswer answer;
  answer.kind = LoadAnswer::Kind::kModule;
  answer.type_name = "hubconf.py.Net";
  answer.method = "traced";
  answer.body = std::string("PK\0\3", 4);
  const absl::StatusOr<LoadAnswer> a = ParseLoadAnswer(EncodeLoadAnswer(answer));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, LoadAnswer::Kind::kModule);
  EXPECT_EQ(a->method, "traced");
  EXPECT_EQ(a->body, answer.body);
  const absl::StatusOr<LoadAnswer> taken = ParseLoadAnswerTakingBody(EncodeLoadAnswer(answer));
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->type_name, answer.type_name);
  EXPECT_EQ(taken->body, answer.body);
  // The worker writes the head, then the body: together, the one frame.
  EXPECT_EQ(EncodeLoadAnswerFrameHead(answer) + answer.body, EncodeFrame(EncodeLoadAnswer(answer)));
  EXPECT_THAT(ParseLoadAnswer(EncodeError(absl::NotFoundError("x"))),
              StatusIs(absl::StatusCode::kNotFound, "x"));
  EXPECT_THAT(ParseLoadAnswerTakingBody(EncodeError(absl::NotFoundError("x"))),
              StatusIs(absl::StatusCode::kNotFound, "x"));
  // An error without a message still says something.
  EXPECT_THAT(ParseLoadAnswer(std::string("e\x05\0\0\0\0", 6)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("gave no message")));
}

TEST(ProtocolTest, MalformedLoadMessagesAreDataLoss) {
  WorkerRequest w;
  w.url = "http://a/b";
  const std::string good = EncodeWorkerRequest(w);
  std::string bad_kind = good;
  bad_kind[1] = 9;
  std::string control = good;
  control[good.find("a/b")] = '\n';
  for (const std::string& bad : {bad_kind, control, good.substr(0, good.size() - 1), good + "x",
                                 EncodeWorkerRequest(WorkerRequest{})}) {
    EXPECT_THAT(ParseWorkerRequest(bad), StatusIs(absl::StatusCode::kDataLoss));
  }
  LoadAnswer answer;
  answer.kind = LoadAnswer::Kind::kValue;
  answer.method = "scripted";  // only modules have a method
  LoadAnswer module;
  module.kind = LoadAnswer::Kind::kModule;
  module.method = "scripted";
  module.body = "PK";
  const std::string good_module = EncodeLoadAnswer(module);
  for (const std::string& bad :
       {EncodeLoadAnswer(answer), EncodeDescription(Sample()), std::string(),
        good_module.substr(0, good_module.size() - 1), good_module + "x"}) {
    EXPECT_THAT(ParseLoadAnswer(bad), StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(ParseLoadAnswerTakingBody(bad), StatusIs(absl::StatusCode::kDataLoss));
  }
  EXPECT_THAT(ParseReply(std::string("r\0\0\0\0\x09/x", 8)), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseLoadRequest(EncodeDescribeRequest("/x")), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace hub::sandbox
