/*
 * wasm_describe.cpp - wasm validation and description over libwabt; see
 * wasm_describe.h.
 *
 * A module goes through four steps, each one only when the last passed:
 *
 *   1. a pre-scan of our own over the section headers: framing, the count
 *      limits (checked before wabt allocates anything for those counts),
 *      and the producers custom section, which wabt does not read;
 *   2. a pass of wabt's binary reader with a delegate (FeatureScan) that
 *      sees every opcode, type and flag: it records the proposals the module
 *      uses, where each function body lies (to name the function in an
 *      error) and bounds block nesting, because wabt's IR frees nested
 *      blocks recursively and would overflow the stack on a deep enough
 *      nest;
 *   3. wabt's reader into its IR, then wabt's validator;
 *   4. the JSON, from the IR (imports, exports, memories) and the scan.
 *
 * Every exception (bad_alloc included) is caught in the two entry points.
 * Inside, an allocation failure of jansson is turned into std::bad_alloc so
 * that the builders read straight through, and a name that is not UTF-8
 * (which wabt refuses itself; this is the belt to its braces) into
 * NotUtf8, which makes the module invalid.
 */
#include "server/wasm_describe.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/error.h>
#include <wabt/feature.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

extern "C" const wh_wasm_limits wh_wasm_default_limits = {
    256u * 1024u * 1024u, 1000000u, 100000u, 100000u};

namespace {

constexpr size_t kMaxNesting = WH_WASM_MAX_NESTING;

/* The producers section has three fields in practice; these bounds leave
 * room for growth and keep a hostile one small. */
constexpr uint32_t kMaxProducerFields = 16;
constexpr uint32_t kMaxProducerValues = 256;
constexpr uint32_t kMaxProducerString = 1024;

/* Sections remembered for naming the section of an error's offset. */
constexpr size_t kMaxSectionsKept = 64;

struct json_deleter {
    void operator()(json_t *j) const noexcept { json_decref(j); }
};
using json_ptr = std::unique_ptr<json_t, json_deleter>;

struct NotUtf8 {
    std::string what;
};

json_t *checked(json_t *j)
{
    if (!j)
        throw std::bad_alloc();
    return j;
}

/* json_stringn refuses invalid UTF-8 and a failed malloc alike; asking again
 * without the check tells the two apart. */
json_t *jstr(std::string_view s, const char *what)
{
    json_t *j = json_stringn(s.data(), s.size());
    if (j)
        return j;
    json_ptr raw(json_stringn_nocheck(s.data(), s.size()));
    if (!raw)
        throw std::bad_alloc();
    throw NotUtf8{what};
}

void set(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        throw std::bad_alloc();
}

void append(json_t *arr, json_t *value)
{
    if (!value || json_array_append_new(arr, value) != 0)
        throw std::bad_alloc();
}

/* ---- step 1: our own reading of the section headers ---- */

struct Cursor {
    const uint8_t *p;
    size_t end;
    size_t off;

    bool u8(uint8_t *v)
    {
        if (off >= end)
            return false;
        *v = p[off++];
        return true;
    }

    bool u32(uint32_t *v)
    {
        uint32_t r = 0;
        for (unsigned shift = 0; shift < 35; shift += 7) {
            uint8_t b;
            if (!u8(&b))
                return false;
            /* The fifth byte holds the top four bits, nothing more. */
            if (shift == 28 && (b & 0x70))
                return false;
            r |= static_cast<uint32_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) {
                *v = r;
                return true;
            }
        }
        return false;
    }

    bool name(std::string_view *s, uint32_t max)
    {
        uint32_t n;
        if (!u32(&n) || n > max || n > end - off)
            return false;
        *s = std::string_view(reinterpret_cast<const char *>(p + off), n);
        off += n;
        return true;
    }
};

struct Section {
    uint8_t id;
    size_t start; /* the id byte */
    size_t end;   /* one past the payload */
};

const char *section_name(uint8_t id)
{
    static const char *const names[] = {
        "custom", "type", "import", "function", "table", "memory", "global",
        "export", "start", "element", "code", "data", "data count", "tag"};
    return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

struct Prescan {
    std::vector<Section> sections;
    json_ptr producers;
    std::string refusal; /* a limit broken or a component badly framed */
    size_t core_modules = 0;
};

/* A producers section that breaks the format or these bounds gives null:
 * a custom section never makes a module invalid. */
json_t *read_producers(Cursor c)
{
    json_ptr obj(checked(json_object()));
    uint32_t nfields;
    if (!c.u32(&nfields) || nfields > kMaxProducerFields)
        return nullptr;
    for (uint32_t i = 0; i < nfields; i++) {
        std::string_view field;
        uint32_t nvalues;
        if (!c.name(&field, kMaxProducerString) || !c.u32(&nvalues) ||
            nvalues > kMaxProducerValues)
            return nullptr;
        json_ptr values(checked(json_array()));
        for (uint32_t k = 0; k < nvalues; k++) {
            std::string_view name, version;
            if (!c.name(&name, kMaxProducerString) ||
                !c.name(&version, kMaxProducerString))
                return nullptr;
            json_ptr v(checked(json_object()));
            try {
                set(v.get(), "name", jstr(name, "producer name"));
                set(v.get(), "version", jstr(version, "producer version"));
            } catch (const NotUtf8 &) {
                return nullptr;
            }
            append(values.get(), v.release());
        }
        json_ptr key(json_stringn(field.data(), field.size()));
        if (!key) {
            json_ptr raw(json_stringn_nocheck(field.data(), field.size()));
            if (!raw)
                throw std::bad_alloc();
            return nullptr;
        }
        if (json_object_getn(obj.get(), field.data(), field.size()))
            return nullptr;
        if (json_object_setn_new(obj.get(), field.data(), field.size(),
                                 values.release()) != 0)
            throw std::bad_alloc();
    }
    if (c.off != c.end)
        return nullptr;
    return obj.release();
}

/* Walks the sections after the 8-byte header.  For a core module a framing
 * error is left for wabt to report in its own words; for a component,
 * which wabt cannot read, it is the refusal. */
void prescan(const uint8_t *p, size_t len, bool component,
             const wh_wasm_limits &lim, Prescan &ps)
{
    Cursor c{p, len, 8};
    while (c.off < len) {
        Section s{0, c.off, 0};
        uint32_t size;
        if (!c.u8(&s.id) || !c.u32(&size) || size > len - c.off) {
            /* Kept so that wabt's error about it names the section. */
            s.end = len;
            if (c.off > s.start && ps.sections.size() < kMaxSectionsKept)
                ps.sections.push_back(s);
            if (component) {
                char msg[160];
                snprintf(msg, sizeof msg,
                         "component: the section at offset 0x%zx runs past "
                         "the end of the %zu bytes",
                         s.start, len);
                ps.refusal = msg;
            }
            return;
        }
        s.end = c.off + size;
        if (ps.sections.size() < kMaxSectionsKept)
            ps.sections.push_back(s);
        Cursor body{p, s.end, c.off};
        c.off = s.end;

        if (component) {
            if (s.id == 1)
                ps.core_modules++;
        } else {
            uint32_t count;
            const char *what = nullptr;
            size_t max = 0;
            switch (s.id) {
            case 2: what = "imports"; max = lim.max_imports; break;
            case 3: what = "functions"; max = lim.max_functions; break;
            case 7: what = "exports"; max = lim.max_exports; break;
            case 10: what = "function bodies"; max = lim.max_functions; break;
            default: break;
            }
            if (what && body.u32(&count) && count > max) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "%s section at offset 0x%zx: %u %s, over the limit "
                         "of %zu",
                         section_name(s.id), s.start, count, what, max);
                ps.refusal = msg;
                return;
            }
        }
        std::string_view name;
        if (s.id == 0 && !ps.producers && body.name(&name, 256) &&
            name == "producers")
            ps.producers.reset(read_producers(body));
    }
}

/* ---- step 2: what the module uses, from wabt's reader ---- */

enum Feature {
    F_MUTABLE_GLOBALS,
    F_SIGN_EXTENSION,
    F_SAT_FLOAT_TO_INT,
    F_MULTI_VALUE,
    F_BULK_MEMORY,
    F_REFERENCE_TYPES,
    F_SIMD,
    F_THREADS,
    F_EXCEPTIONS,
    F_TAIL_CALL,
    F_COUNT
};

const char *const feature_names[F_COUNT] = {
    "mutable_globals", "sign_extension", "saturating_float_to_int",
    "multi_value",     "bulk_memory",    "reference_types",
    "simd",            "threads",        "exceptions",
    "tail_call"};

struct Body {
    size_t start, end;
    wabt::Index func;
};

class FeatureScan : public wabt::BinaryReaderNop {
  public:
    bool used[F_COUNT] = {};
    std::vector<Body> bodies;
    std::string error;
    size_t error_offset = 0;

    /* Errors in custom sections are reported and read past, so the error
     * that stopped the reader is the last one; unless it was ours. */
    bool OnError(const wabt::Error &e) override
    {
        if (!own_error_) {
            error = e.message;
            error_offset = e.loc.offset;
        }
        return true;
    }

    wabt::Result OnFuncType(wabt::Index, wabt::Index nparams,
                            wabt::Type *params, wabt::Index nresults,
                            wabt::Type *results) override
    {
        if (nresults > 1)
            used[F_MULTI_VALUE] = true;
        for (wabt::Index i = 0; i < nparams; i++)
            value_type(params[i]);
        for (wabt::Index i = 0; i < nresults; i++)
            value_type(results[i]);
        return wabt::Result::Ok;
    }

    wabt::Result OnImportTable(wabt::Index, std::string_view,
                               std::string_view, wabt::Index,
                               wabt::Type elem, const wabt::Limits *) override
    {
        return table(elem);
    }

    wabt::Result OnTable(wabt::Index, wabt::Type elem,
                         const wabt::Limits *) override
    {
        return table(elem);
    }

    wabt::Result OnImportMemory(wabt::Index, std::string_view,
                                std::string_view, wabt::Index,
                                const wabt::Limits *l) override
    {
        return memory(l);
    }

    wabt::Result OnMemory(wabt::Index, const wabt::Limits *l) override
    {
        return memory(l);
    }

    wabt::Result OnImportGlobal(wabt::Index, std::string_view,
                                std::string_view, wabt::Index,
                                wabt::Type type, bool mut) override
    {
        value_type(type);
        if (mut)
            used[F_MUTABLE_GLOBALS] = true;
        global_mut_.push_back(mut);
        return wabt::Result::Ok;
    }

    wabt::Result BeginGlobal(wabt::Index, wabt::Type type, bool mut) override
    {
        value_type(type);
        global_mut_.push_back(mut);
        return wabt::Result::Ok;
    }

    wabt::Result OnImportTag(wabt::Index, std::string_view, std::string_view,
                             wabt::Index, wabt::Index) override
    {
        used[F_EXCEPTIONS] = true;
        return wabt::Result::Ok;
    }

    wabt::Result OnTagType(wabt::Index, wabt::Index) override
    {
        used[F_EXCEPTIONS] = true;
        return wabt::Result::Ok;
    }

    wabt::Result OnExport(wabt::Index, wabt::ExternalKind kind,
                          wabt::Index item, std::string_view) override
    {
        if (kind == wabt::ExternalKind::Global && item < global_mut_.size() &&
            global_mut_[item])
            used[F_MUTABLE_GLOBALS] = true;
        if (kind == wabt::ExternalKind::Tag)
            used[F_EXCEPTIONS] = true;
        return wabt::Result::Ok;
    }

    wabt::Result BeginElemSegment(wabt::Index, wabt::Index table_index,
                                  uint8_t flags) override
    {
        /* Every encoding but 0 came with bulk memory; declared segments and
         * other tables than 0 with reference types. */
        if (flags != 0)
            used[F_BULK_MEMORY] = true;
        if ((flags & 3) == 3 || table_index != 0)
            used[F_REFERENCE_TYPES] = true;
        return wabt::Result::Ok;
    }

    wabt::Result OnElemSegmentElemType(wabt::Index, wabt::Type type) override
    {
        if (type != wabt::Type::FuncRef)
            used[F_REFERENCE_TYPES] = true;
        return wabt::Result::Ok;
    }

    wabt::Result BeginDataSegment(wabt::Index, wabt::Index,
                                  uint8_t flags) override
    {
        if (flags & 1)
            used[F_BULK_MEMORY] = true;
        return wabt::Result::Ok;
    }

    wabt::Result OnDataCount(wabt::Index) override
    {
        used[F_BULK_MEMORY] = true;
        return wabt::Result::Ok;
    }

    wabt::Result BeginFunctionBody(wabt::Index index,
                                   wabt::Offset size) override
    {
        depth_ = 0;
        bodies.push_back(Body{state->offset, state->offset + size, index});
        return wabt::Result::Ok;
    }

    wabt::Result OnLocalDecl(wabt::Index, wabt::Index,
                             wabt::Type type) override
    {
        value_type(type);
        return wabt::Result::Ok;
    }

    wabt::Result OnOpcode(wabt::Opcode op) override
    {
        const uint32_t code = op.GetCode();
        switch (op.GetPrefix()) {
        case 0:
            if ((code >= 0x06 && code <= 0x09) || code == 0x18 || code == 0x19)
                used[F_EXCEPTIONS] = true;
            else if (code == 0x12 || code == 0x13)
                used[F_TAIL_CALL] = true;
            else if (code == 0x1c || code == 0x25 || code == 0x26 ||
                     (code >= 0xd0 && code <= 0xd2))
                used[F_REFERENCE_TYPES] = true;
            else if (code >= 0xc0 && code <= 0xc4)
                used[F_SIGN_EXTENSION] = true;
            break;
        case 0xfc:
            if (code <= 0x07)
                used[F_SAT_FLOAT_TO_INT] = true;
            else if (code <= 0x0e)
                used[F_BULK_MEMORY] = true;
            else
                used[F_REFERENCE_TYPES] = true;
            break;
        case 0xfd:
            used[F_SIMD] = true;
            break;
        case 0xfe:
            used[F_THREADS] = true;
            break;
        default:
            break;
        }
        return wabt::Result::Ok;
    }

    wabt::Result OnBlockExpr(wabt::Type sig) override { return open(sig); }
    wabt::Result OnLoopExpr(wabt::Type sig) override { return open(sig); }
    wabt::Result OnIfExpr(wabt::Type sig) override { return open(sig); }
    wabt::Result OnTryExpr(wabt::Type sig) override { return open(sig); }

    wabt::Result OnEndExpr() override
    {
        if (depth_)
            depth_--;
        return wabt::Result::Ok;
    }

    wabt::Result OnCallIndirectExpr(wabt::Index, wabt::Index table) override
    {
        if (table != 0)
            used[F_REFERENCE_TYPES] = true;
        return wabt::Result::Ok;
    }

    wabt::Result OnReturnCallIndirectExpr(wabt::Index,
                                          wabt::Index table) override
    {
        if (table != 0)
            used[F_REFERENCE_TYPES] = true;
        return wabt::Result::Ok;
    }

    wabt::Result OnSelectExpr(wabt::Index count, wabt::Type *types) override
    {
        for (wabt::Index i = 0; i < count; i++)
            value_type(types[i]);
        return wabt::Result::Ok;
    }

  private:
    std::vector<bool> global_mut_;
    size_t tables_ = 0;
    size_t depth_ = 0;
    bool own_error_ = false;

    void value_type(wabt::Type t)
    {
        if (t == wabt::Type::V128)
            used[F_SIMD] = true;
        else if (t == wabt::Type::ExternRef || t == wabt::Type::FuncRef)
            used[F_REFERENCE_TYPES] = true;
    }

    wabt::Result table(wabt::Type elem)
    {
        if (elem != wabt::Type::FuncRef || ++tables_ > 1)
            used[F_REFERENCE_TYPES] = true;
        return wabt::Result::Ok;
    }

    wabt::Result memory(const wabt::Limits *l)
    {
        if (l->is_shared)
            used[F_THREADS] = true;
        return wabt::Result::Ok;
    }

    wabt::Result open(wabt::Type sig)
    {
        /* A block typed by a type index may take params or give several
         * results: that is multi-value's encoding. */
        if (sig.IsIndex())
            used[F_MULTI_VALUE] = true;
        else
            value_type(sig);
        if (++depth_ > kMaxNesting) {
            char msg[96];
            snprintf(msg, sizeof msg,
                     "blocks nest deeper than %zu levels", kMaxNesting);
            error = msg;
            error_offset = state->offset;
            own_error_ = true;
            return wabt::Result::Error;
        }
        return wabt::Result::Ok;
    }
};

/* ---- step 4: the description ---- */

const wabt::FuncSignature &signature(const wabt::Module &m,
                                     const wabt::FuncDeclaration &d)
{
    if (d.has_func_type) {
        const wabt::FuncType *ft = m.GetFuncType(d.type_var);
        if (ft)
            return ft->sig;
    }
    return d.sig;
}

std::string sig_text(const wabt::FuncSignature &sig)
{
    std::string s;
    if (!sig.param_types.empty()) {
        s += "(param";
        for (const wabt::Type &t : sig.param_types)
            s += " " + t.GetName();
        s += ")";
    }
    if (!sig.result_types.empty()) {
        if (!s.empty())
            s += " ";
        s += "(result";
        for (const wabt::Type &t : sig.result_types)
            s += " " + t.GetName();
        s += ")";
    }
    return s;
}

std::string limits_text(const wabt::Limits &l)
{
    std::string s = l.is_64 ? "i64 " : "";
    s += std::to_string(l.initial);
    if (l.has_max)
        s += " " + std::to_string(l.max);
    if (l.is_shared)
        s += " shared";
    return s;
}

std::string table_text(const wabt::Table &t)
{
    return limits_text(t.elem_limits) + " " + t.elem_type.GetName();
}

std::string global_text(const wabt::Global &g)
{
    return g.mutable_ ? "(mut " + g.type.GetName() + ")" : g.type.GetName();
}

const char *kind_name(wabt::ExternalKind k)
{
    switch (k) {
    case wabt::ExternalKind::Func: return "func";
    case wabt::ExternalKind::Table: return "table";
    case wabt::ExternalKind::Memory: return "memory";
    case wabt::ExternalKind::Global: return "global";
    case wabt::ExternalKind::Tag: return "tag";
    }
    return "unknown";
}

std::string import_type(const wabt::Module &m, const wabt::Import &imp)
{
    switch (imp.kind()) {
    case wabt::ExternalKind::Func:
        return sig_text(signature(
            m, static_cast<const wabt::FuncImport &>(imp).func.decl));
    case wabt::ExternalKind::Table:
        return table_text(static_cast<const wabt::TableImport &>(imp).table);
    case wabt::ExternalKind::Memory:
        return limits_text(
            static_cast<const wabt::MemoryImport &>(imp).memory.page_limits);
    case wabt::ExternalKind::Global:
        return global_text(
            static_cast<const wabt::GlobalImport &>(imp).global);
    case wabt::ExternalKind::Tag:
        return sig_text(
            signature(m, static_cast<const wabt::TagImport &>(imp).tag.decl));
    }
    return "";
}

std::string export_type(const wabt::Module &m, const wabt::Export &e)
{
    switch (e.kind) {
    case wabt::ExternalKind::Func:
        if (const wabt::Func *f = m.GetFunc(e.var))
            return sig_text(signature(m, f->decl));
        break;
    case wabt::ExternalKind::Table:
        if (const wabt::Table *t = m.GetTable(e.var))
            return table_text(*t);
        break;
    case wabt::ExternalKind::Memory:
        if (const wabt::Memory *mem = m.GetMemory(e.var))
            return limits_text(mem->page_limits);
        break;
    case wabt::ExternalKind::Global:
        if (const wabt::Global *g = m.GetGlobal(e.var))
            return global_text(*g);
        break;
    case wabt::ExternalKind::Tag:
        if (const wabt::Tag *t = m.GetTag(e.var))
            return sig_text(signature(m, t->decl));
        break;
    }
    return "";
}

json_t *entry(std::string_view name, const char *kind, const std::string &type,
              const char *what)
{
    json_ptr o(checked(json_object()));
    set(o.get(), "name", jstr(name, what));
    set(o.get(), "kind", json_string(kind));
    set(o.get(), "type", jstr(type, what));
    return o.release();
}

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

/* The most specific toolchain wins: emscripten and wasm-bindgen output may
 * import some WASI functions too, and their JS glue is what they need. */
const char *abi_of(const wabt::Module &m)
{
    bool wbg = false, go = false, ems = false, wasi1 = false, wasi0 = false;
    for (const wabt::Import *imp : m.imports) {
        std::string_view mod = imp->module_name, name = imp->field_name;
        if (mod == "__wbindgen_placeholder__" ||
            starts_with(name, "__wbindgen_"))
            wbg = true;
        else if (mod == "go" || mod == "gojs")
            go = true;
        else if (mod == "env" &&
                 (starts_with(name, "emscripten_") ||
                  starts_with(name, "__syscall") ||
                  starts_with(name, "_emscripten")))
            ems = true;
        else if (mod == "wasi_snapshot_preview1")
            wasi1 = true;
        else if (mod == "wasi_unstable")
            wasi0 = true;
    }
    return wbg ? "wasm-bindgen" : go ? "go-js" : ems ? "emscripten"
         : wasi1 ? "wasi_snapshot_preview1" : wasi0 ? "wasi_unstable" : "none";
}

/* The skeleton every description has; the valid path fills it in. */
json_t *skeleton(bool valid, const char *kind, size_t size)
{
    json_ptr d(checked(json_object()));
    set(d.get(), "valid", json_boolean(valid));
    set(d.get(), "kind", json_string(kind));
    set(d.get(), "size", json_integer(static_cast<json_int_t>(size)));
    set(d.get(), "imports", json_object());
    set(d.get(), "exports", json_array());
    set(d.get(), "memories", json_array());
    set(d.get(), "features", json_array());
    set(d.get(), "producers", json_null());
    set(d.get(), "abi", json_string("none"));
    return d.release();
}

json_t *invalid(const char *kind, size_t size, const std::string &why)
{
    json_ptr d(skeleton(false, kind, size));
    /* A message may quote bytes of the module, which need not be UTF-8,
     * and it must go into JSON. */
    json_t *msg = json_stringn(why.data(), why.size());
    if (!msg) {
        json_ptr raw(checked(json_stringn_nocheck(why.data(), why.size())));
        std::string clean;
        for (unsigned char ch : why)
            clean += ch < 0x80 ? static_cast<char>(ch) : '?';
        msg = json_stringn(clean.data(), clean.size());
    }
    set(d.get(), "error", msg);
    return d.release();
}

/* "code section, function 3, offset 0x2f: what" */
std::string locate(const Prescan &ps, const std::vector<Body> &bodies,
                   size_t offset, const std::string &what)
{
    std::string where;
    if (offset) {
        for (const Section &s : ps.sections) {
            if (offset >= s.start && offset < s.end) {
                where = std::string(section_name(s.id)) + " section, ";
                break;
            }
        }
        auto it = std::upper_bound(
            bodies.begin(), bodies.end(), offset,
            [](size_t off, const Body &b) { return off < b.start; });
        if (it != bodies.begin() && offset < std::prev(it)->end)
            where += "function " + std::to_string(std::prev(it)->func) + ", ";
        char buf[40];
        snprintf(buf, sizeof buf, "offset 0x%zx: ", offset);
        where += buf;
    }
    return where + what;
}

wabt::Features all_features()
{
    wabt::Features f;
    f.enable_mutable_globals();
    f.enable_sign_extension();
    f.enable_sat_float_to_int();
    f.enable_multi_value();
    f.enable_bulk_memory();
    f.enable_reference_types();
    f.enable_simd();
    f.enable_threads();
    f.enable_exceptions();
    f.enable_tail_call();
    return f;
}

json_t *describe_component(const uint8_t *p, size_t len,
                           const wh_wasm_limits &lim)
{
    Prescan ps;
    prescan(p, len, true, lim, ps);
    if (!ps.refusal.empty())
        return invalid("component", len, ps.refusal);
    json_ptr d(skeleton(true, "component", len));
    if (ps.producers)
        set(d.get(), "producers", ps.producers.release());
    return d.release();
}

json_t *describe_module(const uint8_t *p, size_t len,
                        const wh_wasm_limits &lim)
{
    Prescan ps;
    prescan(p, len, false, lim, ps);
    if (!ps.refusal.empty())
        return invalid("module", len, ps.refusal);

    /* The name section is not read at all: nothing here needs it, and its
     * errors must not count. */
    const wabt::ReadBinaryOptions options(all_features(), nullptr, false, true,
                                          false);
    FeatureScan scan;
    if (wabt::Failed(wabt::ReadBinary(p, len, &scan, options)))
        return invalid("module", len,
                       locate(ps, scan.bodies, scan.error_offset,
                              scan.error.empty() ? "unreadable module"
                                                 : scan.error));

    /* The reader stops at its first fatal error, after any custom-section
     * ones it read past: the last is the one.  The validator goes on after
     * an error, so its first is the one that explains the others. */
    wabt::Module module;
    wabt::Errors errors;
    if (wabt::Failed(wabt::ReadBinaryIr("parcel", p, len, options, &errors,
                                        &module))) {
        if (errors.empty())
            return invalid("module", len, "wabt could not read the module");
        return invalid("module", len,
                       locate(ps, scan.bodies, errors.back().loc.offset,
                              errors.back().message));
    }
    errors.clear();
    if (wabt::Failed(wabt::ValidateModule(
            &module, &errors, wabt::ValidateOptions(all_features())))) {
        if (errors.empty())
            return invalid("module", len, "wabt refused the module");
        std::string why = locate(ps, scan.bodies, errors[0].loc.offset,
                                 errors[0].message);
        if (errors.size() > 1)
            why += " (and " + std::to_string(errors.size() - 1) +
                   " more errors)";
        return invalid("module", len, why);
    }

    json_ptr d(skeleton(true, "module", len));
    try {
        json_t *imports = json_object_get(d.get(), "imports");
        for (const wabt::Import *imp : module.imports) {
            const std::string &mod = imp->module_name;
            json_t *group = json_object_getn(imports, mod.data(), mod.size());
            if (!group) {
                json_ptr key(jstr(mod, "an import module name"));
                group = checked(json_array());
                if (json_object_setn_new(imports, mod.data(), mod.size(),
                                         group) != 0)
                    throw std::bad_alloc();
            }
            append(group, entry(imp->field_name, kind_name(imp->kind()),
                                import_type(module, *imp),
                                "an import name"));
        }
        json_t *exports = json_object_get(d.get(), "exports");
        for (const wabt::Export *e : module.exports)
            append(exports, entry(e->name, kind_name(e->kind),
                                  export_type(module, *e), "an export name"));
    } catch (const NotUtf8 &bad) {
        return invalid("module", len, bad.what + " is not valid UTF-8");
    }

    json_t *memories = json_object_get(d.get(), "memories");
    for (size_t i = 0; i < module.memories.size(); i++) {
        const wabt::Limits &l = module.memories[i]->page_limits;
        json_ptr m(checked(json_object()));
        set(m.get(), "min", json_integer(static_cast<json_int_t>(l.initial)));
        set(m.get(), "max",
            l.has_max ? json_integer(static_cast<json_int_t>(l.max))
                      : json_null());
        set(m.get(), "shared", json_boolean(l.is_shared));
        set(m.get(), "memory64", json_boolean(l.is_64));
        set(m.get(), "imported", json_boolean(i < module.num_memory_imports));
        append(memories, m.release());
    }

    json_t *features = json_object_get(d.get(), "features");
    for (int f = 0; f < F_COUNT; f++)
        if (scan.used[f])
            append(features, json_string(feature_names[f]));

    if (ps.producers)
        set(d.get(), "producers", ps.producers.release());
    set(d.get(), "abi", json_string(abi_of(module)));
    return d.release();
}

json_t *describe(const uint8_t *p, size_t len, const wh_wasm_limits &lim)
{
    if (len > lim.max_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the module is %zu bytes, over the limit of %zu", len,
                 lim.max_bytes);
        return invalid("module", len, msg);
    }
    if (!wh_wasm_is_wasm(p, len))
        return invalid("module", len,
                       "offset 0x0: not a wasm module: the bytes do not "
                       "start with the magic \\0asm");
    if (len < 8)
        return invalid("module", len,
                       "offset 0x4: the module ends inside its version field");
    /* After the magic, a core module has the 32-bit version 1; the
     * component-model format splits that word into a 16-bit version and a
     * 16-bit layer, and layer 1 is a component. */
    const unsigned version = p[4] | p[5] << 8;
    const unsigned layer = p[6] | p[7] << 8;
    if (layer == 1)
        return describe_component(p, len, lim);
    if (version != 1 || layer != 0) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "offset 0x4: unsupported wasm version 0x%02x%02x%02x%02x, "
                 "expected 1",
                 p[7], p[6], p[5], p[4]);
        return invalid("module", len, msg);
    }
    return describe_module(p, len, lim);
}

int has_feature(const json_t *features, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        const char *s = json_string_value(f);
        if (s && strcmp(s, name) == 0)
            return 1;
    }
    return 0;
}

} /* namespace */

extern "C" bool wh_wasm_is_wasm(const void *buf, size_t len)
{
    return buf && len >= 4 && memcmp(buf, "\0asm", 4) == 0;
}

extern "C" int wh_wasm_describe(const void *buf, size_t len,
                                const wh_wasm_limits *lim, json_t **out,
                                wh_err *err)
{
    *out = nullptr;
    try {
        static const uint8_t empty = 0;
        const uint8_t *p = buf ? static_cast<const uint8_t *>(buf) : &empty;
        *out = describe(p, buf ? len : 0,
                        lim ? *lim : wh_wasm_default_limits);
        return 0;
    } catch (const std::bad_alloc &) {
        return wh_err_set(err, WH_ENOMEM, "out of memory describing a wasm "
                                          "module");
    } catch (...) {
        /* Nothing but allocation is expected to throw; whatever did, the
         * module is not one this server can vouch for. */
    }
    try {
        *out = invalid("module", len, "wabt failed while reading the module");
        return 0;
    } catch (...) {
        return wh_err_set(err, WH_ENOMEM, "out of memory describing a wasm "
                                          "module");
    }
}

extern "C" bool wh_wasm_aot_possible(const json_t *desc, char *why,
                                     size_t cap)
{
    const char *reason = nullptr;
    static const char *const refused[][2] = {
        {"simd", "uses SIMD, which wasm2c 1.0.32 cannot translate"},
        {"threads", "uses threads and atomics, which wasm2c 1.0.32 cannot "
                    "translate"},
        {"tail_call", "uses tail calls, which wasm2c 1.0.32 cannot "
                      "translate"},
    };
    const json_t *features = json_object_get(desc, "features");
    const json_t *memories = json_object_get(desc, "memories");
    if (!json_is_object(desc) || !json_is_array(features) ||
        !json_is_array(memories)) {
        reason = "not a wasm description";
    } else if (!json_is_true(json_object_get(desc, "valid"))) {
        reason = "the module is not valid";
    } else if (!json_is_string(json_object_get(desc, "kind")) ||
               strcmp(json_string_value(json_object_get(desc, "kind")),
                      "module") != 0) {
        reason = "a component, which wasm2c cannot translate";
    } else {
        for (const auto &r : refused)
            if (has_feature(features, r[0])) {
                reason = r[1];
                break;
            }
        size_t i;
        json_t *m;
        json_array_foreach(memories, i, m)
        {
            if (!reason && json_is_true(json_object_get(m, "memory64")))
                reason = "uses a 64-bit memory, which wasm2c 1.0.32 cannot "
                         "translate";
        }
    }
    if (cap > 0)
        snprintf(why, cap, "%s", reason ? reason : "");
    return reason == nullptr;
}
