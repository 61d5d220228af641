#include "hub/download/fake_http_transport.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hub {

void FakeHttpTransport::Add(const std::string& url, Response response) {
  absl::MutexLock lock(&mu_);
  responses_[url].push_back(std::move(response));
}

std::vector<HttpRequest> FakeHttpTransport::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

HttpTransferResult FakeHttpTransport::Perform(const HttpRequest& request,
                                              HttpResponseHandler& handler) {
  Response response;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    auto it = responses_.find(request.url);
    if (it == responses_.end() || it->second.empty()) {
      return {.status = absl::UnavailableError(
                  absl::StrCat("GET ", request.url, ": Connection refused (fake)")),
              .retryable = true};
    }
    response = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
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
