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
#include "hub/api/torch.h"
#include "hub/base/json.h"
#include "hub/base/status_macros.h"
#include "hub/cli/command.h"
#include "hub/cli/hubconf_verbs.h"

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

int RunListOrHelp(const HubconfRequest& request, const Command& command) {
  HubOptions options;
  options.source = "local";
  options.use_entry_cache = !request.flags.no_cache;
  options.sandbox = !request.flags.no_sandbox;
  const absl::StatusOr<RepoDescription> d = DescribeRepo(request.repo_dir, options);
  if (!d.ok()) return Fail(*command.err, d.status());
  return request.verb == "list"
             ? PrintEntrypoints(request, d->description, d->from_cache, *command.out)
             : PrintHelp(request, d->description, *command.out, *command.err);
}

int RunLoad(const HubconfRequest& request, const Command& command) {
  std::ostream& out = *command.out;
  std::ostream& err = *command.err;
  const HubconfFlags& flags = request.flags;
  const std::string& entry = request.arguments.at(0);
  const HubArgs args = ParseArguments(
      std::vector<std::string>(request.arguments.begin() + 1, request.arguments.end()));
  LoadOptions options;
  options.torchscript = !flags.python_object;
  std::optional<at::Tensor> input;
  if (flags.input.has_value()) {
    absl::StatusOr<std::vector<int64_t>> shape = ParseShape(*flags.input);
    if (!shape.ok()) return BadValue(err, absl::StrCat("--input ", shape.status().message()));
    at::manual_seed(0);
    input = at::rand(*shape);
    options.example_inputs = std::vector<at::Tensor>{*input};
  }
  const bool forward = flags.forward;
  if (forward && !input) {
    return Fail(err, absl::InvalidArgumentError("--forward needs --input SHAPE"));
  }

  HubOptions hub_options;
  hub_options.source = "local";
  hub_options.sandbox = !flags.no_sandbox;
  absl::StatusOr<LoadedEntry> loaded = Load(request.repo_dir, entry, args, hub_options, options);
  if (!loaded.ok()) return Fail(err, loaded.status());
  JsonObject json;
  json.Add("entry", JsonString(entry))
      .Add("repo_dir", JsonString(request.repo_dir))
      .Add("kind", JsonString(KindName(loaded->kind)))
      .Add("type", JsonString(loaded->type_name))
      .Add("sandboxed", JsonBool(hub_options.sandbox))
      // The worker was started by `torchhub` before it became this process.
      .Add("sandbox_worker_started_early", JsonBool(SandboxWorkersTakenOver() > 0));
  std::vector<std::string> lines = {absl::StrCat("entry: ", entry),
                                    absl::StrCat("type: ", loaded->type_name)};
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
      // A sandboxed load brings plain data, not the object.
      std::string repr =
          loaded->value.has_value() ? loaded->value->DebugString() : loaded->object.Repr();
      constexpr size_t kMaxRepr = 4000;
      if (repr.size() > kMaxRepr) repr = absl::StrCat(repr.substr(0, kMaxRepr), "...");
      lines.emplace_back("kind: Python object");
      lines.push_back(absl::StrCat("repr: ", repr));
      json.Add("repr", JsonString(repr));
      break;
    }
  }

  if (const std::optional<std::string>& save = flags.save_torchscript) {
    if (loaded->kind != LoadedEntry::Kind::kModule) {
      return Fail(err, absl::FailedPreconditionError(absl::StrCat("--save-torchscript: ", entry,
                                                                  " returned a ", loaded->type_name,
                                                                  ", not an nn.Module")));
    }
    try {
      loaded->module->save(*save);
    } catch (const c10::Error& e) {
      return Fail(err, absl::InternalError(
                           absl::StrCat("writing ", *save, ": ", e.what_without_backtrace())));
    }
    lines.push_back(absl::StrCat("saved: ", *save));
    json.Add("saved", JsonString(*save));
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
                                                               *flags.input, ": ",
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

int RunHubconfInProcess(const HubconfRequest& request, const Command& command) {
  if (request.verb == "load") return RunLoad(request, command);
  return RunListOrHelp(request, command);
}

std::vector<Verb> PythonVerbs() { return HubconfVerbs(&RunHubconfInProcess); }

}  // namespace hub::cli
