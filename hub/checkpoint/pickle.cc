#include "hub/checkpoint/pickle.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/DispatchKeySet.h>
#include <c10/core/TensorImpl.h>
#include <c10/util/Exception.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "hub/base/status_macros.h"

namespace hub::checkpoint {
namespace {

// The globals a checkpoint may name. Everything else is refused.
enum class Global {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildTensor,
  kRebuildParameter,
  kRebuildParameterWithState,
  kRebuildFromTypeV2,
  kTensorType,     // torch.Tensor, only as an argument of _rebuild_from_type_v2
  kParameterType,  // torch.nn.parameter.Parameter, likewise
  kSize,
  kDevice,
  kSet,
  kFrozenSet,
  kStorageType,
  kCodecsEncode,  // _codecs.encode(str, 'latin1'): how protocol 2 writes bytes
  kBytes,         // builtins.bytes(): protocol 2's empty bytes
};

struct GlobalRef {
  Global global = Global::kOrderedDict;
  c10::ScalarType dtype = c10::ScalarType::Float;  // kStorageType
  std::string name;                                // "module.name"
};

bool StorageDtype(absl::string_view type_name, c10::ScalarType* dtype) {
  static constexpr struct {
    const char* name;
    c10::ScalarType dtype;
  } kTypes[] = {
      {"FloatStorage", c10::ScalarType::Float},
      {"DoubleStorage", c10::ScalarType::Double},
      {"HalfStorage", c10::ScalarType::Half},
      {"BFloat16Storage", c10::ScalarType::BFloat16},
      {"ByteStorage", c10::ScalarType::Byte},
      {"CharStorage", c10::ScalarType::Char},
      {"ShortStorage", c10::ScalarType::Short},
      {"IntStorage", c10::ScalarType::Int},
      {"LongStorage", c10::ScalarType::Long},
      {"BoolStorage", c10::ScalarType::Bool},
      {"ComplexFloatStorage", c10::ScalarType::ComplexFloat},
      {"ComplexDoubleStorage", c10::ScalarType::ComplexDouble},
  };
  for (const auto& t : kTypes) {
    if (type_name == t.name) {
      *dtype = t.dtype;
      return true;
    }
  }
  return false;
}

absl::StatusOr<GlobalRef> ResolveGlobal(absl::string_view module, absl::string_view name) {
  GlobalRef ref;
  ref.name = absl::StrCat(module, ".", name);
  static constexpr struct {
    const char* module;
    const char* name;
    Global global;
  } kAllowed[] = {
      {"collections", "OrderedDict", Global::kOrderedDict},
      {"torch._utils", "_rebuild_tensor_v2", Global::kRebuildTensorV2},
      {"torch._utils", "_rebuild_tensor", Global::kRebuildTensor},
      {"torch._utils", "_rebuild_parameter", Global::kRebuildParameter},
      {"torch._utils", "_rebuild_parameter_with_state", Global::kRebuildParameterWithState},
      {"torch._tensor", "_rebuild_from_type_v2", Global::kRebuildFromTypeV2},
      {"torch", "Tensor", Global::kTensorType},
      {"torch._tensor", "Tensor", Global::kTensorType},
      {"torch.nn.parameter", "Parameter", Global::kParameterType},
      {"torch", "Size", Global::kSize},
      {"torch", "device", Global::kDevice},
      {"builtins", "set", Global::kSet},
      {"builtins", "frozenset", Global::kFrozenSet},
      {"__builtin__", "set", Global::kSet},
      {"__builtin__", "frozenset", Global::kFrozenSet},
      {"_codecs", "encode", Global::kCodecsEncode},
      {"builtins", "bytes", Global::kBytes},
      {"__builtin__", "bytes", Global::kBytes},
  };
  for (const auto& a : kAllowed) {
    if (module == a.module && name == a.name) {
      ref.global = a.global;
      return ref;
    }
  }
  if ((module == "torch" || module == "torch.cuda") && StorageDtype(name, &ref.dtype)) {
    ref.global = Global::kStorageType;
    return ref;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "checkpoint refers to a forbidden global \"", ref.name,
      "\"; only tensors, containers and numbers are loaded (weights-only). If you trust this "
      "file, load it in Python with torch.load(weights_only=False) and re-save its "
      "state_dict()"));
}

// An object on the pickle machine's stack. Objects live in an arena owned by
// the machine and refer to each other by pointer, so shared references and
// later mutation (memo) behave as in Python, cycles can't leak and nothing
// is destroyed recursively.
struct Obj {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kDouble,
    kString,
    kBytes,
    kList,
    kTuple,
    kDict,
    kTensor,
    kStorage,
    kGlobal,
  };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<Obj*> items;
  struct DictData {
    std::vector<std::pair<Obj*, Obj*>> entries;
    // Key -> index in `entries`, per kind of key (Python's equality for the
    // keys allowed: 1 == True; str and bytes differ). Views point into the
    // key objects' strings, which never change.
    absl::flat_hash_map<absl::string_view, size_t> strings;
    absl::flat_hash_map<absl::string_view, size_t> bytes;
    absl::flat_hash_map<int64_t, size_t> ints;
    absl::flat_hash_map<uint64_t, size_t> doubles;  // by bit pattern
    std::optional<size_t> none;
  };
  std::unique_ptr<DictData> dict;
  std::unique_ptr<at::Tensor> tensor;
  std::unique_ptr<StorageRef> storage;
  std::unique_ptr<GlobalRef> global;
};

const char* ObjKindName(Obj::Kind kind) {
  switch (kind) {
    case Obj::Kind::kNone:
      return "None";
    case Obj::Kind::kBool:
      return "bool";
    case Obj::Kind::kInt:
      return "int";
    case Obj::Kind::kDouble:
      return "float";
    case Obj::Kind::kString:
      return "str";
    case Obj::Kind::kBytes:
      return "bytes";
    case Obj::Kind::kList:
      return "list";
    case Obj::Kind::kTuple:
      return "tuple";
    case Obj::Kind::kDict:
      return "dict";
    case Obj::Kind::kTensor:
      return "tensor";
    case Obj::Kind::kStorage:
      return "storage";
    case Obj::Kind::kGlobal:
      return "global";
  }
  return "?";
}

// The work budget's prices (pickle.h), in bytes: about what each step
// allocates or copies.
constexpr size_t kRefCost = sizeof(void*);  // on the stack, in a container or the memo
constexpr size_t kObjCost = sizeof(Obj);
constexpr size_t kEntryCost = 64;  // a dict entry: its pair and its slot in an index
constexpr size_t kTensorCost = sizeof(at::Tensor) + sizeof(c10::TensorImpl);

// Opcodes (pickletools' names).
enum Op : uint8_t {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kFloat = 'F',
  kInt = 'I',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kLong = 'L',
  kBinInt2 = 'M',
  kNone = 'N',
  kPersId = 'P',
  kBinPersId = 'Q',
  kReduce = 'R',
  kString = 'S',
  kBinString = 'T',
  kShortBinString = 'U',
  kUnicode = 'V',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobalOp = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kGet = 'g',
  kBinGet = 'h',
  kInst = 'i',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kObj = 'o',
  kPut = 'p',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kProto = 0x80,
  kNewObj = 0x81,
  kExt1 = 0x82,
  kExt2 = 0x83,
  kExt4 = 0x84,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSetOp = 0x91,
  kNewObjEx = 0x92,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
  kNextBuffer = 0x97,
  kReadOnlyBuffer = 0x98,
};

class Machine {
 public:
  Machine(absl::string_view data, StorageLoader* storages, const UnpickleOptions& options)
      : data_(data), storages_(storages), options_(options) {}

  absl::StatusOr<UnpickleResult> Run() {
    while (true) {
      if (pos_ >= data_.size()) {
        return Error("the pickle ends before its STOP opcode (truncated file?)");
      }
      op_pos_ = pos_;
      const uint8_t op = static_cast<uint8_t>(data_[pos_++]);
      if (op == kStop) break;
      HUB_RETURN_IF_ERROR(Step(op));
    }
    if (!marks_.empty()) return Error("STOP with an unclosed MARK");
    if (stack_.size() != 1) {
      return Error(absl::StrCat("STOP with ", stack_.size(), " objects on the stack, expected 1"));
    }
    UnpickleResult result;
    values_left_ = options_.max_values;
    HUB_RETURN_IF_ERROR(Charge(1, sizeof(Value)));  // the root; containers pay for their items
    HUB_ASSIGN_OR_RETURN(result.value, ToValue(stack_.back(), 0));
    result.bytes_read = pos_;
    return result;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat("invalid pickle at byte ", op_pos_, ": ", what));
  }

  // Counts `count` * `unit` bytes of work against the budget, before the
  // work is done. The budget grows with the bytes read, so no step can spend
  // what the pickle's length has not paid for; bytes after the pickle (a
  // legacy file's tensor data) don't count.
  absl::Status Charge(size_t count, size_t unit) {
    size_t bytes = 0;
    if (__builtin_mul_overflow(count, unit, &bytes) ||
        __builtin_add_overflow(work_done_, bytes, &work_done_) || work_done_ > WorkAllowed()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the pickle does too much work for its size: by byte ", pos_, " it needs more than the ",
          WorkAllowed(), " bytes of objects and copies allowed (", options_.work_per_input_byte,
          " per byte read + ", options_.work_floor,
          "), which torch.save's pickles never come near; the file is corrupt or made to "
          "exhaust memory: don't load it, get it again from a source you trust"));
    }
    return absl::OkStatus();
  }

  size_t WorkAllowed() const {
    size_t allowed = 0;
    if (__builtin_mul_overflow(options_.work_per_input_byte, pos_, &allowed) ||
        __builtin_add_overflow(allowed, options_.work_floor, &allowed)) {
      return SIZE_MAX;
    }
    return allowed;
  }

  // A new object, with `extra_bytes` of work for what it holds.
  absl::StatusOr<Obj*> New(Obj::Kind kind, size_t extra_bytes = 0) {
    HUB_RETURN_IF_ERROR(Charge(1, kObjCost));
    HUB_RETURN_IF_ERROR(Charge(extra_bytes, 1));
    if (arena_.empty() || arena_used_ == arena_chunk_) {
      // Chunks grow, so big pickles make few large allocations.
      if (!arena_.empty() && arena_chunk_ < kMaxArenaChunk) arena_chunk_ *= 2;
      arena_.push_back(std::make_unique<Obj[]>(arena_chunk_));
      arena_used_ = 0;
    }
    Obj* o = &arena_.back()[arena_used_++];
    o->kind = kind;
    return o;
  }

  absl::Status Need(uint64_t n) const {
    if (n > data_.size() - pos_) {
      return Error(absl::StrCat("needs ", n, " more bytes but only ", data_.size() - pos_,
                                " are left (truncated file?)"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> ReadUint(int bytes) {
    HUB_RETURN_IF_ERROR(Need(bytes));
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + k])) << (8 * k);
    }
    pos_ += bytes;
    return v;
  }

  absl::StatusOr<absl::string_view> ReadBytes(uint64_t n) {
    HUB_RETURN_IF_ERROR(Need(n));
    absl::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  absl::StatusOr<absl::string_view> ReadLine() {
    const size_t end = data_.find('\n', pos_);
    if (end == absl::string_view::npos) return Error("a text argument has no end of line");
    absl::string_view line = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }

  absl::Status Push(Obj* o) {
    HUB_RETURN_IF_ERROR(Charge(1, kRefCost));
    stack_.push_back(o);
    return absl::OkStatus();
  }

  absl::Status Push(absl::StatusOr<Obj*> o) {
    if (!o.ok()) return o.status();
    return Push(*o);
  }

  absl::StatusOr<Obj*> Pop() {
    if (stack_.size() <= MarkFloor()) return Error("stack underflow");
    Obj* o = stack_.back();
    stack_.pop_back();
    return o;
  }

  absl::StatusOr<Obj*> Top() const {
    if (stack_.size() <= MarkFloor()) return Error("stack underflow");
    return stack_.back();
  }

  size_t MarkFloor() const { return marks_.empty() ? 0 : marks_.back(); }

  // The objects above the topmost mark, which is removed.
  absl::StatusOr<std::vector<Obj*>> PopMark() {
    if (marks_.empty()) return Error("no MARK on the stack");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Obj*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  absl::StatusOr<Obj*> MakeInt(int64_t v) {
    HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kInt));
    o->i = v;
    return o;
  }

  absl::StatusOr<Obj*> MakeString(Obj::Kind kind, absl::string_view s) {
    HUB_ASSIGN_OR_RETURN(Obj * o, New(kind, s.size()));
    o->s = std::string(s);
    return o;
  }

  // A list or tuple of `items`, taken from the stack (whose references were
  // paid for when pushed, so this moves what is already there).
  absl::StatusOr<Obj*> MakeSequence(Obj::Kind kind, std::vector<Obj*> items) {
    HUB_ASSIGN_OR_RETURN(Obj * o, New(kind, items.size() * kRefCost));
    o->items = std::move(items);
    return o;
  }

  // A list or tuple of a copy of `items`, paid for before copying.
  absl::StatusOr<Obj*> CopySequence(Obj::Kind kind, const std::vector<Obj*>& items) {
    HUB_RETURN_IF_ERROR(Charge(items.size(), kRefCost));
    HUB_ASSIGN_OR_RETURN(Obj * o, New(kind));
    o->items = items;
    return o;
  }

  absl::StatusOr<Obj*> MakeDict() {
    HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kDict, sizeof(Obj::DictData)));
    o->dict = std::make_unique<Obj::DictData>();
    return o;
  }

  // Picklers number memo entries 0, 1, 2, ...: those up to the bytes read
  // so far (so the table stays proportional to them) go in a vector, any
  // others in a map.
  absl::Status Memoize(uint64_t index) {
    HUB_ASSIGN_OR_RETURN(Obj * top, Top());
    if (index <= pos_) {
      if (index >= memo_.size()) {
        const size_t size = std::max<size_t>(index + 1, 2 * memo_.size());
        HUB_RETURN_IF_ERROR(Charge(size - memo_.size(), kRefCost));
        memo_.resize(size, nullptr);
      }
      if (memo_[index] == nullptr) ++memo_count_;
      memo_[index] = top;
    } else {
      HUB_RETURN_IF_ERROR(Charge(1, kEntryCost));
      if (sparse_memo_.insert_or_assign(index, top).second) ++memo_count_;
    }
    return absl::OkStatus();
  }

  absl::Status MemoGet(uint64_t index) {
    Obj* o = nullptr;
    if (index < memo_.size()) {
      o = memo_[index];
    } else if (auto it = sparse_memo_.find(index); it != sparse_memo_.end()) {
      o = it->second;
    }
    if (o == nullptr) return Error(absl::StrCat("memo entry ", index, " is not defined"));
    return Push(o);
  }

  absl::Status SetItem(Obj* dict, Obj* key, Obj* value) {
    if (dict->kind != Obj::Kind::kDict) {
      return Error(absl::StrCat("SETITEM on a ", ObjKindName(dict->kind), ", not a dict"));
    }
    // Replacing an entry allocates nothing but costs the same: the key is
    // hashed either way.
    const bool string_key = key->kind == Obj::Kind::kString || key->kind == Obj::Kind::kBytes;
    HUB_RETURN_IF_ERROR(Charge(1, kEntryCost));
    if (string_key) HUB_RETURN_IF_ERROR(Charge(key->s.size(), 1));
    Obj::DictData& d = *dict->dict;
    const size_t next = d.entries.size();
    std::pair<size_t*, bool> slot;
    auto emplace = [&](auto& index, const auto& k) {
      auto [it, inserted] = index.try_emplace(k, next);
      slot = {&it->second, inserted};
    };
    switch (key->kind) {
      case Obj::Kind::kNone:
        slot = {nullptr, !d.none.has_value()};
        if (!d.none.has_value()) d.none = next;
        if (!slot.second) slot.first = &*d.none;
        break;
      case Obj::Kind::kBool:
        emplace(d.ints, int64_t{key->b ? 1 : 0});
        break;
      case Obj::Kind::kInt:
        emplace(d.ints, key->i);
        break;
      case Obj::Kind::kDouble: {
        uint64_t bits = 0;
        std::memcpy(&bits, &key->d, sizeof bits);
        emplace(d.doubles, bits);
        break;
      }
      case Obj::Kind::kString:
        emplace(d.strings, absl::string_view(key->s));
        break;
      case Obj::Kind::kBytes:
        emplace(d.bytes, absl::string_view(key->s));
        break;
      default:
        return Error(
            absl::StrCat("a dict key is a ", ObjKindName(key->kind),
                         "; only None, bool, int, float, str and bytes keys are supported"));
    }
    if (slot.second) {
      d.entries.emplace_back(key, value);
    } else {
      d.entries[*slot.first].second = value;
    }
    return absl::OkStatus();
  }

  absl::Status Append(Obj* list, const std::vector<Obj*>& items) {
    if (list->kind != Obj::Kind::kList) {
      return Error(absl::StrCat("APPEND on a ", ObjKindName(list->kind), ", not a list"));
    }
    HUB_RETURN_IF_ERROR(Charge(items.size(), kRefCost));
    list->items.insert(list->items.end(), items.begin(), items.end());
    return absl::OkStatus();
  }

  absl::Status PushGlobal(absl::string_view module, absl::string_view name) {
    HUB_ASSIGN_OR_RETURN(GlobalRef ref, ResolveGlobal(module, name));
    HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kGlobal, sizeof(GlobalRef) + ref.name.size()));
    o->global = std::make_unique<GlobalRef>(std::move(ref));
    return Push(o);
  }

  absl::Status ParseLong(absl::string_view bytes) {
    if (bytes.size() > 8) {
      return Error(absl::StrCat("an integer of ", bytes.size(), " bytes does not fit in 64 bits"));
    }
    uint64_t u = 0;
    for (size_t k = 0; k < bytes.size(); ++k) {
      u |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[k])) << (8 * k);
    }
    if (!bytes.empty() && bytes.size() < 8 && (static_cast<uint8_t>(bytes.back()) & 0x80) != 0) {
      u |= ~uint64_t{0} << (8 * bytes.size());  // sign-extend
    }
    int64_t v = 0;
    std::memcpy(&v, &u, sizeof v);
    return Push(MakeInt(v));
  }

  absl::Status Step(uint8_t op) {
    switch (op) {
      case kProto: {
        HUB_ASSIGN_OR_RETURN(uint64_t proto, ReadUint(1));
        if (proto > 5) return Error(absl::StrCat("unsupported pickle protocol ", proto));
        return absl::OkStatus();
      }
      case kFrame:
        return ReadUint(8).status();  // frames are only a buffering hint
      case kMark:
        marks_.push_back(stack_.size());
        return absl::OkStatus();
      case kPop: {
        if (!marks_.empty() && marks_.back() == stack_.size()) {
          marks_.pop_back();  // POP of a bare MARK, as pickle allows
          return absl::OkStatus();
        }
        return Pop().status();
      }
      case kPopMark:
        return PopMark().status();
      case kDup: {
        HUB_ASSIGN_OR_RETURN(Obj * top, Top());
        return Push(top);
      }
      case kNone:
        return Push(New(Obj::Kind::kNone));
      case kNewTrue:
      case kNewFalse: {
        HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kBool));
        o->b = op == kNewTrue;
        return Push(o);
      }
      case kBinInt: {
        HUB_ASSIGN_OR_RETURN(uint64_t u, ReadUint(4));
        return Push(MakeInt(static_cast<int32_t>(static_cast<uint32_t>(u))));
      }
      case kBinInt1: {
        HUB_ASSIGN_OR_RETURN(uint64_t u, ReadUint(1));
        return Push(MakeInt(static_cast<int64_t>(u)));
      }
      case kBinInt2: {
        HUB_ASSIGN_OR_RETURN(uint64_t u, ReadUint(2));
        return Push(MakeInt(static_cast<int64_t>(u)));
      }
      case kLong1: {
        HUB_ASSIGN_OR_RETURN(uint64_t n, ReadUint(1));
        HUB_ASSIGN_OR_RETURN(absl::string_view bytes, ReadBytes(n));
        return ParseLong(bytes);
      }
      case kLong4: {
        HUB_ASSIGN_OR_RETURN(uint64_t n, ReadUint(4));
        HUB_ASSIGN_OR_RETURN(absl::string_view bytes, ReadBytes(n));
        return ParseLong(bytes);
      }
      case kInt:
      case kLong: {
        HUB_ASSIGN_OR_RETURN(absl::string_view line, ReadLine());
        if (op == kInt && (line == "00" || line == "01")) {
          HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kBool));
          o->b = line == "01";
          return Push(o);
        }
        if (op == kLong && !line.empty() && line.back() == 'L') line.remove_suffix(1);
        int64_t v = 0;
        if (!absl::SimpleAtoi(line, &v)) return Error("a text integer is malformed or too large");
        return Push(MakeInt(v));
      }
      case kBinFloat: {
        HUB_ASSIGN_OR_RETURN(absl::string_view bytes, ReadBytes(8));
        uint64_t u = 0;
        for (int k = 0; k < 8; ++k) u = (u << 8) | static_cast<uint8_t>(bytes[k]);  // big-endian
        HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kDouble));
        std::memcpy(&o->d, &u, sizeof u);
        return Push(o);
      }
      case kFloat: {
        HUB_ASSIGN_OR_RETURN(absl::string_view line, ReadLine());
        HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kDouble));
        if (!absl::SimpleAtod(line, &o->d)) return Error("a text float is malformed");
        return Push(o);
      }
      case kBinUnicode:
      case kShortBinUnicode:
      case kBinUnicode8:
      case kBinString:
      case kShortBinString:
      case kBinBytes:
      case kShortBinBytes:
      case kBinBytes8:
      case kByteArray8: {
        const int width = (op == kShortBinUnicode || op == kShortBinString || op == kShortBinBytes)
                              ? 1
                          : (op == kBinUnicode8 || op == kBinBytes8 || op == kByteArray8) ? 8
                                                                                          : 4;
        HUB_ASSIGN_OR_RETURN(uint64_t n, ReadUint(width));
        HUB_ASSIGN_OR_RETURN(absl::string_view bytes, ReadBytes(n));
        // Python 2's str (BINSTRING) comes back as str, as torch.load's
        // default encoding gives it.
        const bool text = op == kBinUnicode || op == kShortBinUnicode || op == kBinUnicode8 ||
                          op == kBinString || op == kShortBinString;
        return Push(MakeString(text ? Obj::Kind::kString : Obj::Kind::kBytes, bytes));
      }
      case kEmptyList:
        return Push(MakeSequence(Obj::Kind::kList, {}));
      case kEmptyTuple:
        return Push(MakeSequence(Obj::Kind::kTuple, {}));
      case kEmptyDict:
        return Push(MakeDict());
      case kEmptySet:
        return Push(MakeSequence(Obj::Kind::kList, {}));
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t n = op - kTuple1 + 1;
        if (stack_.size() < MarkFloor() + n) return Error("stack underflow");
        std::vector<Obj*> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        return Push(MakeSequence(Obj::Kind::kTuple, std::move(items)));
      }
      case kTuple:
      case kList:
      case kFrozenSetOp: {
        HUB_ASSIGN_OR_RETURN(std::vector<Obj*> items, PopMark());
        return Push(
            MakeSequence(op == kTuple ? Obj::Kind::kTuple : Obj::Kind::kList, std::move(items)));
      }
      case kDict: {
        HUB_ASSIGN_OR_RETURN(std::vector<Obj*> items, PopMark());
        if (items.size() % 2 != 0) return Error("DICT with an odd number of items");
        HUB_ASSIGN_OR_RETURN(Obj * d, MakeDict());
        for (size_t k = 0; k < items.size(); k += 2) {
          HUB_RETURN_IF_ERROR(SetItem(d, items[k], items[k + 1]));
        }
        return Push(d);
      }
      case kAppend: {
        HUB_ASSIGN_OR_RETURN(Obj * item, Pop());
        HUB_ASSIGN_OR_RETURN(Obj * list, Top());
        return Append(list, {item});
      }
      case kAppends:
      case kAddItems: {
        HUB_ASSIGN_OR_RETURN(std::vector<Obj*> items, PopMark());
        HUB_ASSIGN_OR_RETURN(Obj * list, Top());
        return Append(list, items);
      }
      case kSetItem: {
        HUB_ASSIGN_OR_RETURN(Obj * value, Pop());
        HUB_ASSIGN_OR_RETURN(Obj * key, Pop());
        HUB_ASSIGN_OR_RETURN(Obj * dict, Top());
        return SetItem(dict, key, value);
      }
      case kSetItems: {
        HUB_ASSIGN_OR_RETURN(std::vector<Obj*> items, PopMark());
        if (items.size() % 2 != 0) return Error("SETITEMS with an odd number of items");
        HUB_ASSIGN_OR_RETURN(Obj * dict, Top());
        for (size_t k = 0; k < items.size(); k += 2) {
          HUB_RETURN_IF_ERROR(SetItem(dict, items[k], items[k + 1]));
        }
        return absl::OkStatus();
      }
      case kPut: {
        HUB_ASSIGN_OR_RETURN(absl::string_view line, ReadLine());
        uint64_t index = 0;
        if (!absl::SimpleAtoi(line, &index)) return Error("PUT with a malformed index");
        return Memoize(index);
      }
      case kBinPut: {
        HUB_ASSIGN_OR_RETURN(uint64_t index, ReadUint(1));
        return Memoize(index);
      }
      case kLongBinPut: {
        HUB_ASSIGN_OR_RETURN(uint64_t index, ReadUint(4));
        return Memoize(index);
      }
      case kMemoize:
        return Memoize(memo_count_);
      case kGet: {
        HUB_ASSIGN_OR_RETURN(absl::string_view line, ReadLine());
        uint64_t index = 0;
        if (!absl::SimpleAtoi(line, &index)) return Error("GET with a malformed index");
        return MemoGet(index);
      }
      case kBinGet: {
        HUB_ASSIGN_OR_RETURN(uint64_t index, ReadUint(1));
        return MemoGet(index);
      }
      case kLongBinGet: {
        HUB_ASSIGN_OR_RETURN(uint64_t index, ReadUint(4));
        return MemoGet(index);
      }
      case kGlobalOp: {
        HUB_ASSIGN_OR_RETURN(absl::string_view module, ReadLine());
        HUB_ASSIGN_OR_RETURN(absl::string_view name, ReadLine());
        return PushGlobal(module, name);
      }
      case kStackGlobal: {
        HUB_ASSIGN_OR_RETURN(Obj * name, Pop());
        HUB_ASSIGN_OR_RETURN(Obj * module, Pop());
        if (module->kind != Obj::Kind::kString || name->kind != Obj::Kind::kString) {
          return Error("STACK_GLOBAL needs two strings");
        }
        return PushGlobal(module->s, name->s);
      }
      case kReduce:
      case kNewObj: {
        HUB_ASSIGN_OR_RETURN(Obj * args, Pop());
        HUB_ASSIGN_OR_RETURN(Obj * callable, Pop());
        return Push(Call(callable, args));
      }
      case kBuild: {
        HUB_ASSIGN_OR_RETURN(Obj * state, Pop());
        HUB_ASSIGN_OR_RETURN(Obj * target, Top());
        (void)state;
        // An OrderedDict's state is its attributes (a state_dict's _metadata:
        // per-module version numbers), a tensor's its Python attributes:
        // neither is part of the loaded value.
        if (target->kind == Obj::Kind::kDict || target->kind == Obj::Kind::kTensor) {
          return absl::OkStatus();
        }
        return Error(absl::StrCat("BUILD on a ", ObjKindName(target->kind)));
      }
      case kBinPersId: {
        HUB_ASSIGN_OR_RETURN(Obj * pid, Pop());
        return Push(PersistentLoad(pid));
      }
      case kPersId:
        return Error("text persistent ids (PERSID) are not used by torch.save");
      case kString:
      case kUnicode:
      case kInst:
      case kObj:
      case kExt1:
      case kExt2:
      case kExt4:
      case kNewObjEx:
      case kNextBuffer:
      case kReadOnlyBuffer:
        return Error(absl::StrCat("opcode 0x", absl::Hex(op), " ('",
                                  std::string(1, static_cast<char>(op)),
                                  "') is not supported in checkpoints"));
      default:
        return Error(absl::StrCat("unknown opcode 0x", absl::Hex(op)));
    }
  }

  absl::StatusOr<int64_t> IntArg(const Obj* o, absl::string_view what) const {
    if (o->kind == Obj::Kind::kInt) return o->i;
    if (o->kind == Obj::Kind::kBool) return o->b ? 1 : 0;
    return Error(absl::StrCat(what, " is a ", ObjKindName(o->kind), ", expected an int"));
  }

  absl::Status CheckIntTuple(const Obj* o, absl::string_view what) {
    if (o->kind != Obj::Kind::kTuple && o->kind != Obj::Kind::kList) {
      return Error(
          absl::StrCat(what, " is a ", ObjKindName(o->kind), ", expected a tuple of ints"));
    }
    HUB_RETURN_IF_ERROR(Charge(o->items.size(), kRefCost));  // reading them
    for (const Obj* item : o->items) HUB_RETURN_IF_ERROR(IntArg(item, what).status());
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> IntTuple(const Obj* o, absl::string_view what) {
    HUB_RETURN_IF_ERROR(CheckIntTuple(o, what));
    HUB_RETURN_IF_ERROR(Charge(o->items.size(), sizeof(int64_t)));
    std::vector<int64_t> v;
    v.reserve(o->items.size());
    for (const Obj* item : o->items) {
      HUB_ASSIGN_OR_RETURN(int64_t i, IntArg(item, what));
      v.push_back(i);
    }
    return v;
  }

  absl::StatusOr<Obj*> RebuildTensor(const std::vector<Obj*>& args, const std::string& name) {
    if (args.size() < 4) {
      return Error(absl::StrCat(name, " needs at least 4 arguments, got ", args.size()));
    }
    if (args[0]->kind != Obj::Kind::kStorage) {
      return Error(absl::StrCat(name, "'s first argument is a ", ObjKindName(args[0]->kind),
                                ", expected a storage"));
    }
    HUB_ASSIGN_OR_RETURN(int64_t offset, IntArg(args[1], "storage_offset"));
    HUB_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntTuple(args[2], "size"));
    HUB_ASSIGN_OR_RETURN(std::vector<int64_t> strides, IntTuple(args[3], "stride"));
    HUB_RETURN_IF_ERROR(Charge(1, kTensorCost));
    absl::StatusOr<at::Tensor> t = MakeTensorView(*args[0]->storage, offset, sizes, strides);
    if (!t.ok()) return Error(t.status().message());
    bool requires_grad = false;
    if (args.size() > 4 && args[4]->kind == Obj::Kind::kBool) requires_grad = args[4]->b;
    if (requires_grad && c10::isFloatingType(t->scalar_type()))
      t->unsafeGetTensorImpl()->set_requires_grad(true);
    HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kTensor));
    o->tensor = std::make_unique<at::Tensor>(*std::move(t));
    return o;
  }

  absl::StatusOr<Obj*> Call(Obj* callable, Obj* args_obj) {
    if (callable->kind != Obj::Kind::kGlobal) {
      return Error(absl::StrCat("REDUCE calls a ", ObjKindName(callable->kind), ", not a global"));
    }
    if (args_obj->kind != Obj::Kind::kTuple) {
      return Error(
          absl::StrCat("REDUCE arguments are a ", ObjKindName(args_obj->kind), ", not a tuple"));
    }
    const GlobalRef& g = *callable->global;
    const std::vector<Obj*>& args = args_obj->items;
    switch (g.global) {
      case Global::kOrderedDict: {
        HUB_ASSIGN_OR_RETURN(Obj * d, MakeDict());
        if (!args.empty()) {
          // OrderedDict([(k, v), ...])
          if (args[0]->kind != Obj::Kind::kList && args[0]->kind != Obj::Kind::kTuple) {
            return Error("OrderedDict's argument is not a list of pairs");
          }
          for (const Obj* pair : args[0]->items) {
            if (pair->kind != Obj::Kind::kTuple || pair->items.size() != 2) {
              return Error("OrderedDict's argument is not a list of pairs");
            }
            HUB_RETURN_IF_ERROR(SetItem(d, pair->items[0], pair->items[1]));
          }
        }
        return d;
      }
      case Global::kRebuildTensorV2:
      case Global::kRebuildTensor:
        return RebuildTensor(args, g.name);
      case Global::kRebuildParameter:
      case Global::kRebuildParameterWithState: {
        if (args.size() < 2 || args[0]->kind != Obj::Kind::kTensor) {
          return Error(absl::StrCat(g.name, " needs a tensor and requires_grad"));
        }
        if (args[1]->kind == Obj::Kind::kBool && args[1]->b &&
            c10::isFloatingType(args[0]->tensor->scalar_type())) {
          args[0]->tensor->unsafeGetTensorImpl()->set_requires_grad(true);
        }
        return args[0];
      }
      case Global::kRebuildFromTypeV2: {
        // _rebuild_from_type_v2(func, type, args, state): allowed only for
        // plain tensors and parameters, and not nested (so Call can't recurse
        // as deep as the input is long).
        if (args.size() != 4 || args[0]->kind != Obj::Kind::kGlobal ||
            args[0]->global->global == Global::kRebuildFromTypeV2 ||
            args[1]->kind != Obj::Kind::kGlobal ||
            (args[1]->global->global != Global::kTensorType &&
             args[1]->global->global != Global::kParameterType)) {
          return Error("_rebuild_from_type_v2 is only supported for torch.Tensor and Parameter");
        }
        return Call(args[0], args[2]);
      }
      case Global::kSize: {
        if (args.empty()) return MakeSequence(Obj::Kind::kTuple, {});
        HUB_RETURN_IF_ERROR(CheckIntTuple(args[0], "torch.Size"));
        // A tuple can't change, so the size can be that tuple itself.
        if (args[0]->kind == Obj::Kind::kTuple) return args[0];
        return CopySequence(Obj::Kind::kTuple, args[0]->items);
      }
      case Global::kDevice: {
        if (args.empty() || args[0]->kind != Obj::Kind::kString) {
          return Error("torch.device needs a string");
        }
        HUB_RETURN_IF_ERROR(Charge(args[0]->s.size() + 21, 1));  // ":" and an int64
        std::string device = args[0]->s;
        if (args.size() > 1 && args[1]->kind == Obj::Kind::kInt) {
          absl::StrAppend(&device, ":", args[1]->i);
        }
        return MakeString(Obj::Kind::kString, device);
      }
      case Global::kSet:
      case Global::kFrozenSet: {
        if (args.empty()) return MakeSequence(Obj::Kind::kList, {});
        if (args[0]->kind != Obj::Kind::kList && args[0]->kind != Obj::Kind::kTuple) {
          return Error(absl::StrCat(g.name, "'s argument is not a list"));
        }
        // A copy: the set (a list here) may be added to, its argument too.
        return CopySequence(Obj::Kind::kList, args[0]->items);
      }
      case Global::kCodecsEncode: {
        if (args.size() != 2 || args[0]->kind != Obj::Kind::kString ||
            args[1]->kind != Obj::Kind::kString ||
            (args[1]->s != "latin1" && args[1]->s != "latin-1")) {
          return Error("_codecs.encode is only supported as encode(str, 'latin1')");
        }
        HUB_ASSIGN_OR_RETURN(std::string bytes, Latin1(args[0]->s));
        return MakeString(Obj::Kind::kBytes, bytes);
      }
      case Global::kBytes:
        if (!args.empty()) return Error("bytes() with arguments is not supported");
        return MakeString(Obj::Kind::kBytes, "");
      case Global::kTensorType:
      case Global::kParameterType:
      case Global::kStorageType:
        break;
    }
    return Error(absl::StrCat("calling ", g.name, " is not supported"));
  }

  // The Latin-1 bytes of UTF-8 `text` whose code points are all < 256.
  absl::StatusOr<std::string> Latin1(absl::string_view text) {
    HUB_RETURN_IF_ERROR(Charge(text.size(), 1));
    std::string out;
    out.reserve(text.size());
    for (size_t k = 0; k < text.size(); ++k) {
      const auto c = static_cast<uint8_t>(text[k]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c == 0xC2 || c == 0xC3) && k + 1 < text.size() &&
                 (static_cast<uint8_t>(text[k + 1]) & 0xC0) == 0x80) {
        out.push_back(
            static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(text[++k]) & 0x3F)));
      } else {
        return Error("_codecs.encode(..., 'latin1') of a character beyond Latin-1");
      }
    }
    return out;
  }

  absl::StatusOr<std::string> StringArg(const Obj* o, absl::string_view what) {
    if (o->kind == Obj::Kind::kString || o->kind == Obj::Kind::kBytes) {
      HUB_RETURN_IF_ERROR(Charge(o->s.size(), 1));
      return o->s;
    }
    if (o->kind == Obj::Kind::kInt) return absl::StrCat(o->i);
    return Error(absl::StrCat(what, " is a ", ObjKindName(o->kind), ", expected a string"));
  }

  absl::StatusOr<Obj*> PersistentLoad(const Obj* pid) {
    if (pid->kind != Obj::Kind::kTuple || pid->items.empty()) {
      return Error("a persistent id is not a tuple");
    }
    const std::vector<Obj*>& p = pid->items;
    if (p[0]->kind != Obj::Kind::kString || p[0]->s != "storage") {
      if (p[0]->kind == Obj::Kind::kString && p[0]->s == "module") {
        return absl::InvalidArgumentError(
            "checkpoint holds a pickled nn.Module (torch.save(model)), which needs its Python "
            "code to load; save model.state_dict() instead");
      }
      return Error("a persistent id is not a ('storage', ...) tuple");
    }
    if (p.size() != 5 && p.size() != 6) {
      return Error(
          absl::StrCat("a storage persistent id has ", p.size(), " elements, expected 5 or 6"));
    }
    if (p[1]->kind != Obj::Kind::kGlobal || p[1]->global->global != Global::kStorageType) {
      return Error("a storage persistent id does not name a storage type");
    }
    StorageRequest request;
    request.dtype = p[1]->global->dtype;
    HUB_ASSIGN_OR_RETURN(request.key, StringArg(p[2], "storage key"));
    HUB_ASSIGN_OR_RETURN(request.location, StringArg(p[3], "storage location"));
    HUB_ASSIGN_OR_RETURN(request.numel, IntArg(p[4], "storage size"));
    if (request.numel < 0) return Error("a storage has a negative size");
    if (p.size() == 6 && p[5]->kind != Obj::Kind::kNone) {
      const Obj* view = p[5];
      if (view->kind != Obj::Kind::kTuple || view->items.size() != 3) {
        return Error("a storage's view metadata is not (key, offset, size)");
      }
      request.is_view = true;
      HUB_ASSIGN_OR_RETURN(request.view_key, StringArg(view->items[0], "view key"));
      HUB_ASSIGN_OR_RETURN(request.view_offset, IntArg(view->items[1], "view offset"));
      HUB_ASSIGN_OR_RETURN(request.view_numel, IntArg(view->items[2], "view size"));
    }
    if (storages_ == nullptr) return Error("a persistent id where none is expected");
    HUB_ASSIGN_OR_RETURN(StorageRef ref, storages_->Load(request));
    HUB_ASSIGN_OR_RETURN(Obj * o, New(Obj::Kind::kStorage, sizeof(StorageRef)));
    o->storage = std::make_unique<StorageRef>(std::move(ref));
    return o;
  }

  // The result tree for `o`, whose own Value its parent has paid for; shared
  // objects are copied once per reference, each copy paid for again.
  absl::StatusOr<Value> ToValue(const Obj* o, int depth) {
    if (values_left_ == 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the pickle's result would have more than ", options_.max_values,
          " values (UnpickleOptions::max_values); a pickle that references one object many "
          "times is copied once per reference"));
    }
    --values_left_;
    if (depth > options_.max_depth) {
      return Error(absl::StrCat("containers nest deeper than ", options_.max_depth,
                                " levels (or refer to themselves)"));
    }
    switch (o->kind) {
      case Obj::Kind::kNone:
        return Value::None();
      case Obj::Kind::kBool:
        return Value::Bool(o->b);
      case Obj::Kind::kInt:
        return Value::Int(o->i);
      case Obj::Kind::kDouble:
        return Value::Double(o->d);
      case Obj::Kind::kString:
        HUB_RETURN_IF_ERROR(Charge(o->s.size(), 1));
        return Value::String(o->s);
      case Obj::Kind::kBytes:
        HUB_RETURN_IF_ERROR(Charge(o->s.size(), 1));
        return Value::Bytes(o->s);
      case Obj::Kind::kList:
      case Obj::Kind::kTuple: {
        HUB_RETURN_IF_ERROR(Charge(o->items.size(), sizeof(Value)));
        std::vector<Value> items;
        items.reserve(o->items.size());
        for (const Obj* item : o->items) {
          HUB_ASSIGN_OR_RETURN(Value v, ToValue(item, depth + 1));
          items.push_back(std::move(v));
        }
        return o->kind == Obj::Kind::kList ? Value::List(std::move(items))
                                           : Value::Tuple(std::move(items));
      }
      case Obj::Kind::kDict: {
        HUB_RETURN_IF_ERROR(Charge(o->dict->entries.size(), sizeof(Value::Entry)));
        std::vector<Value::Entry> entries;
        entries.reserve(o->dict->entries.size());
        for (const auto& [key, value] : o->dict->entries) {
          HUB_ASSIGN_OR_RETURN(Value k, ToValue(key, depth + 1));
          HUB_ASSIGN_OR_RETURN(Value v, ToValue(value, depth + 1));
          entries.emplace_back(std::move(k), std::move(v));
        }
        return Value::Dict(std::move(entries));
      }
      case Obj::Kind::kTensor:
        return Value::Tensor(*o->tensor);
      case Obj::Kind::kStorage: {
        // A bare storage: the 1-D tensor over all of it.
        HUB_RETURN_IF_ERROR(Charge(1, kTensorCost));
        HUB_ASSIGN_OR_RETURN(at::Tensor t,
                             MakeTensorView(*o->storage, 0, {o->storage->numel}, {1}));
        return Value::Tensor(std::move(t));
      }
      case Obj::Kind::kGlobal:
        return Error(absl::StrCat("the result holds a reference to ", o->global->name,
                                  ", which is not data"));
    }
    return Error("unknown object");
  }

  absl::string_view data_;
  StorageLoader* storages_;
  const UnpickleOptions& options_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  size_t work_done_ = 0;  // bytes, against WorkAllowed()
  size_t values_left_ = 0;
  static constexpr size_t kMaxArenaChunk = 16384;
  size_t arena_chunk_ = 64;
  std::vector<std::unique_ptr<Obj[]>> arena_;
  size_t arena_used_ = 0;
  std::vector<Obj*> stack_;
  std::vector<size_t> marks_;
  std::vector<Obj*> memo_;
  absl::flat_hash_map<uint64_t, Obj*> sparse_memo_;
  size_t memo_count_ = 0;
};

}  // namespace

absl::StatusOr<at::Tensor> MakeTensorView(const StorageRef& storage, int64_t offset,
                                          const std::vector<int64_t>& sizes,
                                          const std::vector<int64_t>& strides) {
  constexpr size_t kMaxDims = 64;
  if (sizes.size() != strides.size()) {
    return absl::DataLossError(
        absl::StrCat("a tensor has ", sizes.size(), " sizes but ", strides.size(), " strides"));
  }
  if (sizes.size() > kMaxDims) {
    return absl::DataLossError(absl::StrCat("a tensor has ", sizes.size(), " dimensions"));
  }
  const auto geometry = [&] {
    return absl::StrCat("a tensor of shape [", absl::StrJoin(sizes, ", "), "] and strides [",
                        absl::StrJoin(strides, ", "), "] at storage offset ", offset);
  };
  if (offset < 0)
    return absl::DataLossError(absl::StrCat(geometry(), " has a negative storage offset"));
  // A zero size empties the tensor, but the other sizes must not overflow
  // as they multiply: PyTorch computes their product (numel, contiguous
  // strides) whether or not one is 0. So the product of the non-zero sizes
  // must fit in int64, and so must the index of the last element they reach.
  int64_t nonzero_numel = 1;
  bool empty = false;
  int64_t last = offset;  // index of the last element, when not empty
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] < 0 || strides[k] < 0) {
      return absl::DataLossError(absl::StrCat(geometry(), " has a negative size or stride"));
    }
    if (sizes[k] == 0) {
      empty = true;
      continue;
    }
    int64_t reach = 0;
    if (__builtin_mul_overflow(nonzero_numel, sizes[k], &nonzero_numel) ||
        __builtin_mul_overflow(sizes[k] - 1, strides[k], &reach) ||
        __builtin_add_overflow(last, reach, &last)) {
      return absl::DataLossError(absl::StrCat(geometry(), " overflows int64"));
    }
  }
  const int64_t numel = empty ? 0 : nonzero_numel;
  const bool reaches_out = empty ? offset > storage.numel : last >= storage.numel;
  if (reaches_out) {
    return absl::DataLossError(absl::StrCat(geometry(), " (", numel,
                                            " elements) reaches past the end of its storage of ",
                                            storage.numel, " elements"));
  }
  int64_t storage_offset = 0;  // in the whole storage, when `storage` is a view
  if (__builtin_add_overflow(storage.offset, offset, &storage_offset)) {
    return absl::DataLossError(absl::StrCat(geometry(), " in a storage view at offset ",
                                            storage.offset, " overflows int64"));
  }
  try {
    at::Tensor t = at::detail::make_tensor<c10::TensorImpl>(
        c10::Storage(storage.storage), c10::DispatchKeySet(c10::DispatchKey::CPU),
        c10::scalarTypeToTypeMeta(storage.dtype));
    t.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, strides, storage_offset);
    return t;
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("libtorch refused a tensor: ", e.what_without_backtrace()));
  }
}

absl::StatusOr<UnpickleResult> Unpickle(absl::string_view data, StorageLoader* storages,
                                        const UnpickleOptions& options) {
  Machine machine(data, storages, options);
  return machine.Run();
}

}  // namespace hub::checkpoint
