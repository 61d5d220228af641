#include "hub/download/fake_http_transport.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hub {

void FakeHttpTransport::Add(const std::string& url, Response response) {
  const std::lock_guard<std::mutex> lock(mu_);
  responses_[url].push_back(std::move(response));
}

void FakeHttpTransport::SetResponder(const std::string& url, Responder responder) {
  const std::lock_guard<std::mutex> lock(mu_);
  responders_[url] = std::move(responder);
}

FakeHttpTransport::Response FakeHttpTransport::RangeAnswer(const std::string& content,
                                                           const HttpRequest& request,
                                                           std::vector<std::string> headers,
                                                           size_t chunk_bytes) {
  Response response;
  response.headers = std::move(headers);
  response.headers.emplace_back("Accept-Ranges: bytes");
  size_t start = 0;
  size_t end = content.size();  // exclusive
  for (const std::string& h : request.headers) {
    absl::string_view value = h;
    if (!absl::ConsumePrefix(&value, "Range: bytes=")) continue;
    const std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(value, '-');
    size_t first = 0;
    size_t last = 0;
    if (!absl::SimpleAtoi(parts.first, &first) || first >= content.size()) break;
    if (!parts.second.empty() && !absl::SimpleAtoi(parts.second, &last)) break;
    start = first;
    end = parts.second.empty() ? content.size() : std::min(content.size(), last + 1);
    response.status = 206;
    response.reason = "Partial Content";
    response.headers.push_back(
        absl::StrCat("Content-Range: bytes ", start, "-", end - 1, "/", content.size()));
  }
  response.headers.push_back(absl::StrCat("Content-Length: ", end - start));
  for (size_t i = start; i < end; i += chunk_bytes) {
    response.body.push_back(content.substr(i, std::min(chunk_bytes, end - i)));
  }
  return response;
}

std::vector<HttpRequest> FakeHttpTransport::requests() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

HttpTransferResult FakeHttpTransport::Perform(const HttpRequest& request,
                                              HttpResponseHandler& handler) {
  Response response;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    auto responder = responders_.find(request.url);
    auto it = responses_.find(request.url);
    if (responder != responders_.end()) {
      response = responder->second(request);
    } else if (it == responses_.end() || it->second.empty()) {
      return {.status = absl::UnavailableError(
                  absl::StrCat("GET ", request.url, ": Connection refused (fake)")),
              .retryable = true};
    } else {
      response = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
    }
  }
  handler.OnHeaderLine(absl::StrCat("HTTP/1.1 ", response.status, " ", response.reason, "\r\n"));
  for (const std::string& h : response.headers) handler.OnHeaderLine(absl::StrCat(h, "\r\n"));
  if (!response.location.empty()) {
    handler.OnHeaderLine(absl::StrCat("Location: ", response.location, "\r\n"));
  }
  handler.OnHeaderLine("\r\n");
  HttpTransferResult result;
  for (size_t i = 0; i < response.body.size(); ++i) {
    if (static_cast<int>(i) == response.reset_after_chunks) break;
    if (!handler.KeepGoing() || !handler.OnBody(response.body[i])) {
      result.status =
          absl::AbortedError(absl::StrCat("GET ", request.url, ": the handler stopped (fake)"));
      return result;
    }
  }
  if (response.reset_after_chunks >= 0 &&
      static_cast<size_t>(response.reset_after_chunks) <= response.body.size()) {
    result.status =
        absl::UnavailableError(absl::StrCat("GET ", request.url, ": Connection reset (fake)"));
    result.retryable = true;
    return result;
  }
  if (response.status >= 300 && response.status < 400) result.redirect_url = response.location;
  return result;
}

}  // namespace hub
