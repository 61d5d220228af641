// Moved: `torchhub cache ls` and `cache verify` are hub/inventory/listing.h
// (//hub/inventory:listing). This header and //hub/source:cache_listing
// forward to it until their users include the new one.

#ifndef HUB_SOURCE_CACHE_LISTING_H_
#define HUB_SOURCE_CACHE_LISTING_H_

#include "hub/inventory/listing.h"  // IWYU pragma: export

#endif  // HUB_SOURCE_CACHE_LISTING_H_
