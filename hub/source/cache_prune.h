// Moved: `torchhub cache prune` is hub/inventory/prune.h
// (//hub/inventory:prune). This header and //hub/source:cache_prune forward
// to it until their users include the new one.

#ifndef HUB_SOURCE_CACHE_PRUNE_H_
#define HUB_SOURCE_CACHE_PRUNE_H_

#include "hub/base/units.h"       // IWYU pragma: export
#include "hub/inventory/prune.h"  // IWYU pragma: export

#endif  // HUB_SOURCE_CACHE_PRUNE_H_
