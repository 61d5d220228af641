// The `torchhub` verbs, one function per group (one file each: the verbs'
// usage texts, option structs and output). Each returns its rows of the
// dispatch table (hub/cli/command.h); hub/cli/torchhub.cc puts them together.
#ifndef HUB_CLI_VERBS_H_
#define HUB_CLI_VERBS_H_

#include <string>
#include <vector>

#include "hub/cli/command.h"

namespace hub::cli {

std::vector<Verb> RepoVerbs();      // dir, parse, fetch (repo_verbs.cc)
std::vector<Verb> TrustVerbs();     // trust list|add|remove|check (trust_verbs.cc)
std::vector<Verb> DownloadVerbs();  // download (download_verbs.cc)
std::vector<Verb> CacheVerbs();     // cache ls|verify|prune (cache_verbs.cc)
std::vector<Verb> LockVerbs();      // lock (lock_verbs.cc)
std::vector<Verb> InfoVerbs();      // env, completion (info_verbs.cc)

// A bash completion script for `verbs`: their names, each one's options,
// the global options (`torchhub completion bash`; info_verbs.cc).
std::string BashCompletion(const std::vector<Verb>& verbs);

}  // namespace hub::cli

#endif  // HUB_CLI_VERBS_H_
