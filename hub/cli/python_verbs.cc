#include "hub/cli/python_verbs.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "hub/base/json.h"
#include "hub/base/status_macros.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/hubconf/hubconf.h"

namespace hub::cli {
namespace {

std::string ShapeString(const at::Tensor& t) {
  return absl::StrCat(std::string(t.dtype().name()), " [", absl::StrJoin(t.sizes(), ", "), "]");
}

std::string ShapeJson(const at::Tensor& t) {
  std::vector<std::string> dims;
  dims.reserve(t.sizes().size());
  for (const int64_t d : t.sizes()) dims.push_back(JsonInt(d));
  return JsonObject()
      .Add("dtype", JsonString(std::string(t.dtype().name())))
      .Add("shape", JsonArray(dims))
      .Build();
}

// "1x3x224x224" or "1,3,224,224".
absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text) {
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar("x,"))) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d) || d < 0 || d > (int64_t{1} << 32)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--input wants a shape like 1x3x224x224, not \"", text, "\""));
    }
    shape.push_back(d);
  }
  return shape;
}

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// ARG and KEY=VALUE words as torch.hub.load's *args and **kwargs.
HubArgs ParseArguments(const std::vector<std::string>& words) {
  HubArgs args;
  for (const std::string& w : words) {
    const size_t eq = w.find('=');
    if (eq != std::string::npos && IsIdentifier(absl::string_view(w).substr(0, eq))) {
      args.kwargs.emplace_back(w.substr(0, eq), ParseHubValue(absl::string_view(w).substr(eq + 1)));
    } else {
      args.args.push_back(ParseHubValue(w));
    }
  }
  return args;
}

const char* KindName(LoadedEntry::Kind kind) {
  switch (kind) {
    case LoadedEntry::Kind::kModule:
      return "module";
    case LoadedEntry::Kind::kTensor:
      return "tensor";
    case LoadedEntry::Kind::kTensorDict:
      return "tensor_dict";
    case LoadedEntry::Kind::kObject:
      return "object";
  }
  return "object";
}

int RunListOrHelp(const HubconfRequest& request, std::ostream& out, std::ostream& err) {
  bool from_cache = false;
  absl::StatusOr<HubconfDescription> description =
      request.options.count("--no-cache") > 0
          ? DescribeHubconf(request.repo_dir)
          : DescribeHubconfCached(request.repo_dir, &from_cache);
  if (!description.ok()) return Fail(err, description.status());
  return request.verb == "list" ? PrintEntrypoints(request, *description, from_cache, out)
                                : PrintHelp(request, *description, out, err);
}

int RunLoad(const HubconfRequest& request, std::ostream& out, std::ostream& err) {
  const std::string& entry = request.arguments.at(0);
  const HubArgs args = ParseArguments(
      std::vector<std::string>(request.arguments.begin() + 1, request.arguments.end()));
  LoadOptions options;
  options.torchscript = request.options.count("--python-object") == 0;
  std::optional<at::Tensor> input;
  if (const auto it = request.options.find("--input"); it != request.options.end()) {
    absl::StatusOr<std::vector<int64_t>> shape = ParseShape(it->second);
    if (!shape.ok()) return Fail(err, shape.status());
    at::manual_seed(0);
    input = at::rand(*shape);
    options.example_inputs = std::vector<at::Tensor>{*input};
  }
  const bool forward = request.options.count("--forward") > 0;
  if (forward && !input)
    return Fail(err, absl::InvalidArgumentError("--forward needs --input SHAPE"));

  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(request.repo_dir, entry, args, options);
  if (!loaded.ok()) return Fail(err, loaded.status());

  JsonObject json;
  json.Add("entry", JsonString(entry))
      .Add("repo_dir", JsonString(request.repo_dir))
      .Add("kind", JsonString(KindName(loaded->kind)))
      .Add("type", JsonString(loaded->object.TypeName()));
  std::vector<std::string> lines = {absl::StrCat("entry: ", entry),
                                    absl::StrCat("type: ", loaded->object.TypeName())};
  switch (loaded->kind) {
    case LoadedEntry::Kind::kModule: {
      int64_t tensors = 0;
      int64_t values = 0;
      for (const at::Tensor& p : loaded->module->parameters()) {
        ++tensors;
        values += p.numel();
      }
      lines.push_back(absl::StrCat("kind: module (TorchScript, ", loaded->torchscript_method, ")"));
      lines.push_back(absl::StrCat("parameters: ", tensors, " tensors, ", values, " values"));
      json.Add("torchscript", JsonString(loaded->torchscript_method))
          .Add("parameter_tensors", JsonInt(tensors))
          .Add("parameter_values", JsonInt(values));
      break;
    }
    case LoadedEntry::Kind::kTensor:
      lines.push_back(absl::StrCat("kind: tensor ", ShapeString(loaded->tensor)));
      json.Add("tensor", ShapeJson(loaded->tensor));
      break;
    case LoadedEntry::Kind::kTensorDict: {
      lines.push_back(absl::StrCat("kind: dict of ", loaded->tensors.size(), " tensors"));
      std::vector<std::string> items;
      for (const auto& [name, t] : loaded->tensors) {
        lines.push_back(absl::StrCat("  ", name, ": ", ShapeString(t)));
        items.push_back(
            JsonObject().Add("name", JsonString(name)).Add("tensor", ShapeJson(t)).Build());
      }
      json.Add("tensors", JsonArray(items));
      break;
    }
    case LoadedEntry::Kind::kObject: {
      std::string repr = loaded->object.Repr();
      constexpr size_t kMaxRepr = 4000;
      if (repr.size() > kMaxRepr) repr = absl::StrCat(repr.substr(0, kMaxRepr), "...");
      lines.emplace_back("kind: Python object");
      lines.push_back(absl::StrCat("repr: ", repr));
      json.Add("repr", JsonString(repr));
      break;
    }
  }

  const auto save = request.options.find("--save-torchscript");
  if (save != request.options.end()) {
    if (loaded->kind != LoadedEntry::Kind::kModule) {
      return Fail(err, absl::FailedPreconditionError(
                           absl::StrCat("--save-torchscript: ", entry, " returned a ",
                                        loaded->object.TypeName(), ", not an nn.Module")));
    }
    try {
      loaded->module->save(save->second);
    } catch (const c10::Error& e) {
      return Fail(err, absl::InternalError(absl::StrCat("writing ", save->second, ": ",
                                                        e.what_without_backtrace())));
    }
    lines.push_back(absl::StrCat("saved: ", save->second));
    json.Add("saved", JsonString(save->second));
  }

  if (forward) {
    if (loaded->kind != LoadedEntry::Kind::kModule) {
      return Fail(err, absl::FailedPreconditionError(
                           absl::StrCat("--forward: ", entry, " returned no nn.Module")));
    }
    try {
      const c10::IValue output = loaded->module->forward({*input});
      if (output.isTensor()) {
        const at::Tensor& t = output.toTensor();
        const at::Tensor head = t.flatten().slice(0, 0, 5).to(at::kDouble).contiguous();
        std::vector<std::string> first;
        for (int64_t i = 0; i < head.numel(); ++i) {
          first.push_back(absl::StrCat(head.data_ptr<double>()[i]));
        }
        lines.push_back(absl::StrCat("forward: ", ShapeString(t), ", first values ",
                                     absl::StrJoin(first, " ")));
        json.Add("forward", ShapeJson(t));
      } else {
        lines.push_back(absl::StrCat("forward: ", output.tagKind()));
        json.Add("forward", JsonString(output.tagKind()));
      }
    } catch (const c10::Error& e) {
      return Fail(err, absl::InvalidArgumentError(absl::StrCat("forward with an input of shape ",
                                                               request.options.at("--input"), ": ",
                                                               e.what_without_backtrace())));
    }
  }
  if (request.json) {
    out << json.Build() << "\n";
  } else {
    for (const std::string& line : lines) out << line << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunHubconfInProcess(const HubconfRequest& request, std::ostream& out, std::ostream& err) {
  if (request.verb == "load") return RunLoad(request, out, err);
  return RunListOrHelp(request, out, err);
}

}  // namespace hub::cli
