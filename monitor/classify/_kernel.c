/* The classifier's compiled kernel: text clean-up, term matching and scoring.
 *
 * It computes exactly what the reference implementation in match.py / doc.py /
 * terms.py computes (tests/test_classify_kernel.py compares the two on corpora and on
 * generated texts), in a few passes over the text and plain array work:
 *
 * - prepare(text): text.normalize() (NFKC from tables where they settle the text,
 *   unicodedata otherwise; clean(text) is the same without NFKC);
 * - Kernel(...): the compiled rules and the shape of the answer (kernel.py builds the
 *   arguments from a RuleSet);
 * - Kernel.classify(title, text, regex): prepare(), lower-casing, the automata, the
 *   gate, every type's score, and the Classification with its labels and evidence
 *   (snippets for labels only). `regex(clue, low, title_end)` is called for a regex
 *   clue only when a type reaches it and the text has one of the literals every match
 *   starts with; it returns [(start, matched text), ...].
 *
 * Matching: two Aho-Corasick automata (ASCII surface forms, and all others) compiled
 * to dense transition tables over the characters the forms use (any other character
 * leads back to the root), run together over a text with characters outside ASCII.
 * Hits are grouped per term group and sorted by position, so "the group's hits in the
 * title" is a prefix of its list. Sentence and word structure is computed when a rule
 * first needs it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define ABSENT UINT16_MAX
#define MAX_STATES 32767 /* state ids take 15 bits of a transition */
#define HIT_BIT 0x8000

enum { WHERE_ANY = 0, WHERE_TITLE = 1, WHERE_BODY = 2 };
enum { UNIT_WORDS = 0, UNIT_SENTENCES = 1 };
enum { KIND_TERMS = 0, KIND_ALL = 1, KIND_NEAR = 2, KIND_REGEX = 3 };
enum { TENSE_NONE = 0, TENSE_FUTURE = 1, TENSE_PAST = 2 };

/* ------------------------------------------------------------------ small vectors */

/* A vector is a struct with v (the elements), n and cap. grown() reallocates v for at
 * least `need` elements, doubling; on failure it frees v, leaves the vector empty and
 * sets MemoryError (the caller gives up, and frees v as always). */
static void *grown(void *v, Py_ssize_t *n, Py_ssize_t *cap, Py_ssize_t need, size_t size) {
    Py_ssize_t c = *cap ? *cap * 2 : 32;
    if (c < need)
        c = need;
    void *bigger = realloc(v, (size_t)c * size);
    if (bigger == NULL) {
        free(v);
        *n = *cap = 0;
        PyErr_NoMemory();
        return NULL;
    }
    *cap = c;
    return bigger;
}

/* room for `need` elements: 0, or -1 with an exception */
#define RESERVE(a, need)                                                                           \
    ((need) <= (a)->cap                                                                            \
         ? 0                                                                                       \
         : (((a)->v = grown((a)->v, &(a)->n, &(a)->cap, (need), sizeof(*(a)->v))) != NULL ? 0 : -1))

/* append x: 0, or -1 with an exception */
#define PUSH(a, x) (RESERVE((a), (a)->n + 1) < 0 ? -1 : ((a)->v[(a)->n++] = (x), 0))

typedef struct {
    int32_t *v;
    Py_ssize_t n, cap;
} IVec;

/* ------------------------------------------------------------------ characters */

/* is c in t[0..n) (wmemchr is the C library's vectorised search where wchar_t is UCS4) */
static inline int has_char(const Py_UCS4 *t, Py_ssize_t n, Py_UCS4 c) {
#if WCHAR_MAX >= 0x10FFFF
    _Static_assert(sizeof(wchar_t) == sizeof(Py_UCS4), "wchar_t is UCS4");
    return wmemchr((const wchar_t *)t, (wchar_t)c, (size_t)n) != NULL;
#else
    for (Py_ssize_t i = 0; i < n; i++)
        if (t[i] == c)
            return 1;
    return 0;
#endif
}

static uint16_t *lower_table; /* 65536: the lower case, 0xFFFF for "ask str.lower()" */

static inline int is_latin(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 0xC0 && c <= 0x24F);
}

static inline int is_cjk(Py_UCS4 c) {
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x9FFF);
}

/* a character of a proximity word: what the regex \w matches, minus "_" */
static uint8_t word_bits[0x10000 / 8]; /* is_word() of the BMP, set at import */

static inline int is_word_slow(Py_UCS4 c) {
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c >= 0xAC00 && c <= 0xD7A3) /* Hangul syllables are letters */
        return 1;
    return Py_UNICODE_ISALNUM(c);
}

static inline int is_word(Py_UCS4 c) {
    return c < 0x10000 ? (word_bits[c >> 3] >> (c & 7)) & 1 : is_word_slow(c);
}

/* ------------------------------------------------------------------ automaton */

typedef struct {
    int32_t n_states, n_syms;
    uint16_t *delta; /* n_syms columns of n_states: delta[symbol * n_states + state] */
    uint32_t *col;   /* BMP code point -> symbol * n_states, its column's offset */
    uint16_t *sym;   /* BMP code point -> symbol (0: not in any form) */
    Py_UCS4 *astral; /* sorted code points above the BMP used by forms */
    uint16_t *astral_sym;
    int32_t n_astral;
    int32_t max_len; /* the longest form, in characters */
    int32_t *out_off; /* n_states + 1: the forms that end in a state */
    int32_t *out_form;
    uint16_t *link; /* nearest proper suffix state with forms of its own; 0 for none */
    uint8_t *hit;   /* while building: the state or a suffix of it ends a form (then HIT_BIT) */
} Automaton;

static void automaton_free(Automaton *a) {
    free(a->delta);
    free(a->col);
    free(a->sym);
    free(a->astral);
    free(a->astral_sym);
    free(a->out_off);
    free(a->out_form);
    free(a->link);
    free(a->hit);
    memset(a, 0, sizeof(*a));
}

static inline uint16_t symbol_of(const Automaton *a, Py_UCS4 c) {
    if (c < 0x10000)
        return a->sym[c];
    int32_t lo = 0, hi = a->n_astral;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (a->astral[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < a->n_astral && a->astral[lo] == c) ? a->astral_sym[lo] : 0;
}

static int cmp_ucs4(const void *x, const void *y) {
    Py_UCS4 a = *(const Py_UCS4 *)x, b = *(const Py_UCS4 *)y;
    return (a > b) - (a < b);
}

/* Lay the transitions out by column (one per symbol) with the states numbered in
 * breadth-first order (`order`: every state but the root, in that order): the shallow
 * states, where the text keeps the automaton most of the time, come first in each
 * column, so a text touches few cache lines; and a step is a load at column + state,
 * with the column's offset read from a per-character table, off the chain of dependent
 * loads. Each transition also says (HIT_BIT) whether the state it leads to ends a form,
 * so the scan needs no second load per character. */
static int renumber(Automaton *a, const int32_t *order, int32_t n_order) {
    const int32_t n = a->n_states, n_syms = a->n_syms;
    if (n_order != n - 1) {
        PyErr_SetString(PyExc_RuntimeError, "automaton states not all reached");
        return -1;
    }
    int32_t *id = malloc((size_t)n * sizeof(int32_t));
    Automaton b = {0}; /* the new tables, swapped into a when all are made */
    b.delta = malloc((size_t)n * n_syms * sizeof(uint16_t));
    b.col = malloc(0x10000 * sizeof(uint32_t));
    b.out_off = calloc((size_t)n + 1, sizeof(int32_t));
    b.out_form = malloc(((size_t)a->out_off[n] + 1) * sizeof(int32_t));
    b.link = calloc((size_t)n, sizeof(uint16_t));
    if (!id || !b.delta || !b.col || !b.out_off || !b.out_form || !b.link) {
        free(id);
        automaton_free(&b);
        PyErr_NoMemory();
        return -1;
    }
    id[0] = 0;
    for (int32_t i = 0; i < n_order; i++)
        id[order[i]] = i + 1;
    for (int32_t s = 0; s < n; s++) {
        int32_t t = id[s];
        b.link[t] = (uint16_t)id[a->link[s]];
        b.out_off[t + 1] = a->out_off[s + 1] - a->out_off[s];
    }
    for (int32_t t = 0; t < n; t++)
        b.out_off[t + 1] += b.out_off[t];
    for (int32_t s = 0; s < n; s++) {
        int32_t t = id[s];
        memcpy(&b.out_form[b.out_off[t]], &a->out_form[a->out_off[s]],
               (size_t)(a->out_off[s + 1] - a->out_off[s]) * sizeof(int32_t));
        const uint16_t *row = &a->delta[(size_t)s * n_syms];
        for (int32_t c = 0; c < n_syms; c++) {
            int32_t next = id[row[c]];
            b.delta[(size_t)c * n + t] = (uint16_t)(next | (a->hit[row[c]] ? HIT_BIT : 0));
        }
    }
    for (int32_t c = 0; c < 0x10000; c++)
        b.col[c] = (uint32_t)a->sym[c] * (uint32_t)n;
    free(id);
    free(a->delta);
    free(a->out_off);
    free(a->out_form);
    free(a->link);
    free(a->hit);
    a->delta = b.delta;
    a->col = b.col;
    a->out_off = b.out_off;
    a->out_form = b.out_form;
    a->link = b.link;
    a->hit = NULL; /* in the transitions now */
    return 0;
}

/* words: a sequence of (surface, form index). Returns 0, or -1 with an exception. */
static int automaton_build(Automaton *a, PyObject *words) {
    memset(a, 0, sizeof(*a));
    PyObject *seq = PySequence_Fast(words, "words must be a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t total = 1;
    int rc = -1;
    IVec own_state = {0}, own_form = {0}, astral = {0};
    int32_t *fail = NULL, *queue = NULL;

    a->sym = calloc(0x10000, sizeof(uint16_t));
    if (a->sym == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* symbols: every distinct character of the surfaces; BMP ones numbered in order of
     * first sight, then those above the BMP in code point order */
    int32_t next = 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *surface;
        long index;
        if (!PyArg_ParseTuple(item, "Ul", &surface, &index))
            goto done;
        Py_ssize_t len = PyUnicode_GET_LENGTH(surface);
        if (len == 0) {
            PyErr_SetString(PyExc_ValueError, "empty surface form");
            goto done;
        }
        total += len;
        if (len > a->max_len)
            a->max_len = (int32_t)len;
        for (Py_ssize_t j = 0; j < len; j++) {
            Py_UCS4 c = PyUnicode_READ_CHAR(surface, j);
            if (c < 0x10000) {
                if (a->sym[c] == 0)
                    a->sym[c] = (uint16_t)next++;
            } else {
                int seen = 0;
                for (Py_ssize_t k = 0; k < astral.n; k++)
                    seen |= ((Py_UCS4)astral.v[k] == c);
                if (!seen && PUSH(&astral, (int32_t)c) < 0)
                    goto done;
            }
            if (next + astral.n >= MAX_STATES) {
                PyErr_SetString(PyExc_OverflowError, "too many distinct characters in terms");
                goto done;
            }
        }
    }
    if (astral.n) {
        qsort(astral.v, (size_t)astral.n, sizeof(int32_t), cmp_ucs4);
        a->astral = malloc((size_t)astral.n * sizeof(Py_UCS4));
        a->astral_sym = malloc((size_t)astral.n * sizeof(uint16_t));
        if (a->astral == NULL || a->astral_sym == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < astral.n; k++) {
            a->astral[k] = (Py_UCS4)astral.v[k];
            a->astral_sym[k] = (uint16_t)(next + k);
        }
        a->n_astral = (int32_t)astral.n;
    }
    int32_t n_syms = next + (int32_t)astral.n;
    a->n_syms = n_syms;
    Py_ssize_t rows = total < MAX_STATES ? total : MAX_STATES;
    a->delta = malloc((size_t)rows * (size_t)n_syms * sizeof(uint16_t));
    if (a->delta == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(a->delta, 0xFF, (size_t)n_syms * sizeof(uint16_t));
    int32_t n_states = 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *surface = PyTuple_GET_ITEM(item, 0);
        long index = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
        Py_ssize_t len = PyUnicode_GET_LENGTH(surface);
        int32_t s = 0;
        for (Py_ssize_t j = 0; j < len; j++) {
            uint16_t c = symbol_of(a, PyUnicode_READ_CHAR(surface, j));
            uint16_t *cell = &a->delta[(size_t)s * n_syms + c];
            if (*cell == ABSENT) {
                if (n_states >= rows) {
                    PyErr_SetString(PyExc_OverflowError, "too many automaton states for the kernel");
                    goto done;
                }
                memset(&a->delta[(size_t)n_states * n_syms], 0xFF, (size_t)n_syms * sizeof(uint16_t));
                *cell = (uint16_t)n_states++;
            }
            s = *cell;
        }
        if (PUSH(&own_state, s) < 0 || PUSH(&own_form, (int32_t)index) < 0)
            goto done;
    }
    a->n_states = n_states;
    /* forms per state (CSR) */
    a->out_off = calloc((size_t)n_states + 1, sizeof(int32_t));
    a->out_form = malloc(((size_t)own_form.n + 1) * sizeof(int32_t));
    a->link = calloc((size_t)n_states, sizeof(uint16_t));
    a->hit = calloc((size_t)n_states, sizeof(uint8_t));
    fail = calloc((size_t)n_states, sizeof(int32_t));
    queue = malloc((size_t)n_states * sizeof(int32_t));
    if (!a->out_off || !a->out_form || !a->link || !a->hit || !fail || !queue) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < own_state.n; k++)
        a->out_off[own_state.v[k] + 1]++;
    for (int32_t s = 0; s < n_states; s++)
        a->out_off[s + 1] += a->out_off[s];
    {
        int32_t *fill = calloc((size_t)n_states, sizeof(int32_t));
        if (fill == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < own_state.n; k++) {
            int32_t s = own_state.v[k];
            a->out_form[a->out_off[s] + fill[s]++] = own_form.v[k];
        }
        free(fill);
    }
    /* breadth-first: failure links, full transitions and dictionary links */
    int32_t head = 0, tail = 0;
    for (int32_t c = 0; c < n_syms; c++) {
        uint16_t t = a->delta[c];
        if (t == ABSENT) {
            a->delta[c] = 0;
        } else {
            fail[t] = 0;
            queue[tail++] = t;
        }
    }
    while (head < tail) {
        int32_t s = queue[head++];
        int32_t f = fail[s];
        uint16_t *row = &a->delta[(size_t)s * n_syms];
        const uint16_t *frow = &a->delta[(size_t)f * n_syms];
        a->link[s] = (a->out_off[f + 1] > a->out_off[f]) ? (uint16_t)f : a->link[f];
        a->hit[s] = (a->out_off[s + 1] > a->out_off[s]) || a->link[s] != 0;
        for (int32_t c = 0; c < n_syms; c++) {
            uint16_t t = row[c];
            if (t == ABSENT) {
                row[c] = frow[c];
            } else {
                fail[t] = frow[c];
                queue[tail++] = t;
            }
        }
    }
    if (renumber(a, queue, tail) < 0)
        goto done;
    rc = 0;
done:
    free(own_state.v);
    free(own_form.v);
    free(astral.v);
    free(fail);
    free(queue);
    Py_DECREF(seq);
    if (rc < 0)
        automaton_free(a);
    return rc;
}

/* ------------------------------------------------------------------ compiled rules */

typedef struct {
    int32_t count;
    int32_t unit;
} Within;

typedef struct {
    int32_t group;
    int32_t where;
} Filter;

typedef struct {
    int32_t kind, where, n_groups, none, min_sentences, candidates;
    int32_t *groups;
    double weight;
    Within within;
} Clue;

typedef struct {
    int32_t n_require, n_none, tense, n_clues;
    int32_t *require;
    Filter *none;
    int32_t *clues;
} Type;

typedef struct {
    PyObject_HEAD
    Automaton ascii, wide;
    int32_t n_forms;
    int32_t *form_len;
    uint8_t *form_cs, *form_ce;
    int32_t *every_off, *every, *prefix_off, *prefix;
    int32_t n_terms, n_groups;
    int32_t *tg_off, *tg; /* term -> groups */
    int32_t n_sides, min_mentions;
    int32_t *sides;
    Within topic_within; /* count 0: no distance condition */
    int32_t n_topic_none;
    Filter *topic_none;
    int32_t has_tense, tense_future, tense_past;
    Within tense_within;
    double title_weight;
    int32_t n_clues, n_types;
    Clue *clues;
    Type *types;
    /* the answer's shape: model classes, their slot descriptors and fixed strings */
    PyTypeObject *cls_result, *cls_label, *cls_evidence;
    PyObject *f_result[4];   /* relevant, labels, scores, gate_evidence */
    PyObject *f_label[4];    /* event_type, score, evidence, tense */
    PyObject *f_evidence[5]; /* rule, term, where, weight, snippet */
    PyObject *term_text;     /* tuple: term id -> its text */
    PyObject *side_rules;    /* tuple: "topic.<side>" per side */
    PyObject *type_ids;      /* tuple: the types' ids */
    PyObject *rule_names;    /* tuple per type: "<type>.<clue>" per clue of the type */
    double *thresholds;
    Py_ssize_t snippet_width;
    PyObject *s_title, *s_body, *s_future, *s_past, *s_veto, *s_empty, *s_plus, *s_ellipsis;
} Kernel;

/* ---- reading the arguments */

static int read_ints(PyObject *obj, int32_t **out, int32_t *n) {
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of ints");
    if (seq == NULL)
        return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    int32_t *v = malloc(((size_t)len + 1) * sizeof(int32_t));
    if (v == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        long x = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (x == -1 && PyErr_Occurred()) {
            free(v);
            Py_DECREF(seq);
            return -1;
        }
        v[i] = (int32_t)x;
    }
    Py_DECREF(seq);
    *out = v;
    *n = (int32_t)len;
    return 0;
}

static int read_within(PyObject *obj, Within *w) {
    if (obj == Py_None) {
        w->count = 0;
        w->unit = UNIT_WORDS;
        return 0;
    }
    int count, unit;
    if (!PyArg_ParseTuple(obj, "ii", &count, &unit))
        return -1;
    w->count = count;
    w->unit = unit;
    return 0;
}

static int read_filters(PyObject *obj, Filter **out, int32_t *n) {
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of filters");
    if (seq == NULL)
        return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    Filter *v = malloc(((size_t)len + 1) * sizeof(Filter));
    if (v == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        int group, where;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "ii", &group, &where)) {
            free(v);
            Py_DECREF(seq);
            return -1;
        }
        v[i].group = group;
        v[i].where = where;
    }
    Py_DECREF(seq);
    *out = v;
    *n = (int32_t)len;
    return 0;
}

/* a sequence of int sequences -> CSR */
static int read_csr(PyObject *obj, int32_t **off, int32_t **vals, int32_t *n) {
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of sequences");
    if (seq == NULL)
        return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    IVec v = {0};
    int32_t *o = malloc(((size_t)len + 1) * sizeof(int32_t));
    if (o == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    o[0] = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        int32_t *row, rn;
        if (read_ints(PySequence_Fast_GET_ITEM(seq, i), &row, &rn) < 0)
            goto fail;
        for (int32_t k = 0; k < rn; k++) {
            if (PUSH(&v, row[k]) < 0) {
                free(row);
                goto fail;
            }
        }
        free(row);
        o[i + 1] = (int32_t)v.n;
    }
    if (PUSH(&v, 0) < 0)
        goto fail;
    Py_DECREF(seq);
    *off = o;
    *vals = v.v;
    *n = (int32_t)len;
    return 0;
fail:
    free(o);
    free(v.v);
    Py_DECREF(seq);
    return -1;
}

static void kernel_clear(Kernel *k) {
    automaton_free(&k->ascii);
    automaton_free(&k->wide);
    free(k->form_len);
    free(k->form_cs);
    free(k->form_ce);
    free(k->every_off);
    free(k->every);
    free(k->prefix_off);
    free(k->prefix);
    free(k->tg_off);
    free(k->tg);
    free(k->sides);
    free(k->topic_none);
    if (k->clues != NULL)
        for (int32_t i = 0; i < k->n_clues; i++)
            free(k->clues[i].groups);
    free(k->clues);
    if (k->types != NULL)
        for (int32_t i = 0; i < k->n_types; i++) {
            free(k->types[i].require);
            free(k->types[i].none);
            free(k->types[i].clues);
        }
    free(k->types);
    free(k->thresholds);
    Py_CLEAR(k->cls_result);
    Py_CLEAR(k->cls_label);
    Py_CLEAR(k->cls_evidence);
    for (int i = 0; i < 4; i++) {
        Py_CLEAR(k->f_result[i]);
        Py_CLEAR(k->f_label[i]);
    }
    for (int i = 0; i < 5; i++)
        Py_CLEAR(k->f_evidence[i]);
    Py_CLEAR(k->term_text);
    Py_CLEAR(k->side_rules);
    Py_CLEAR(k->type_ids);
    Py_CLEAR(k->rule_names);
    Py_CLEAR(k->s_title);
    Py_CLEAR(k->s_body);
    Py_CLEAR(k->s_future);
    Py_CLEAR(k->s_past);
    Py_CLEAR(k->s_veto);
    Py_CLEAR(k->s_empty);
    Py_CLEAR(k->s_plus);
    Py_CLEAR(k->s_ellipsis);
}

static void kernel_dealloc(Kernel *k) {
    kernel_clear(k);
    Py_TYPE(k)->tp_free((PyObject *)k);
}

static int check_group(Kernel *k, int32_t g) {
    if (g < -1 || g >= k->n_groups) {
        PyErr_Format(PyExc_ValueError, "group %d out of range", (int)g);
        return -1;
    }
    return 0;
}

/* a slotted class and the member descriptors of its fields, in order */
static int read_class(PyObject *cls, const char *const *names, int n, PyTypeObject **out,
                      PyObject **fields) {
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "expected a class");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PyObject *d = PyObject_GetAttrString(cls, names[i]);
        if (d == NULL)
            return -1;
        if (!Py_IS_TYPE(d, &PyMemberDescr_Type)) {
            Py_DECREF(d);
            PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", ((PyTypeObject *)cls)->tp_name,
                         names[i]);
            return -1;
        }
        fields[i] = d;
    }
    *out = (PyTypeObject *)Py_NewRef(cls);
    return 0;
}

static int read_strings(PyObject *obj, Py_ssize_t n, PyObject **out) {
    if (!PyTuple_Check(obj) || (n >= 0 && PyTuple_GET_SIZE(obj) != n)) {
        PyErr_SetString(PyExc_ValueError, "expected a tuple of the right size");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(obj); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(obj, i))) {
            PyErr_SetString(PyExc_TypeError, "expected strings");
            return -1;
        }
    *out = Py_NewRef(obj);
    return 0;
}

/* output: (Classification, Label, Evidence, term texts, side rule names, type ids,
 *          thresholds, rule names per type and clue, snippet width) */
static int read_output(Kernel *k, PyObject *output) {
    static const char *const result_f[] = {"relevant", "labels", "scores", "gate_evidence"};
    static const char *const label_f[] = {"event_type", "score", "evidence", "tense"};
    static const char *const evidence_f[] = {"rule", "term", "where", "weight", "snippet"};
    PyObject *cr, *cl, *ce, *terms, *sides, *ids, *thresholds, *names;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(output, "OOOOOOOOn", &cr, &cl, &ce, &terms, &sides, &ids, &thresholds,
                          &names, &width))
        return -1;
    if (read_class(cr, result_f, 4, &k->cls_result, k->f_result) < 0 ||
        read_class(cl, label_f, 4, &k->cls_label, k->f_label) < 0 ||
        read_class(ce, evidence_f, 5, &k->cls_evidence, k->f_evidence) < 0 ||
        read_strings(terms, k->n_terms, &k->term_text) < 0 ||
        read_strings(sides, k->n_sides, &k->side_rules) < 0 ||
        read_strings(ids, k->n_types, &k->type_ids) < 0)
        return -1;
    if (!PyTuple_Check(names) || PyTuple_GET_SIZE(names) != k->n_types ||
        !PyTuple_Check(thresholds) || PyTuple_GET_SIZE(thresholds) != k->n_types) {
        PyErr_SetString(PyExc_ValueError, "one threshold and one name tuple per type");
        return -1;
    }
    k->thresholds = malloc(((size_t)k->n_types + 1) * sizeof(double));
    if (k->thresholds == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int32_t i = 0; i < k->n_types; i++) {
        k->thresholds[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(thresholds, i));
        if (k->thresholds[i] == -1.0 && PyErr_Occurred())
            return -1;
        PyObject *row = PyTuple_GET_ITEM(names, i), *unused;
        if (read_strings(row, k->types[i].n_clues, &unused) < 0)
            return -1;
        Py_DECREF(unused);
    }
    k->rule_names = Py_NewRef(names);
    k->snippet_width = width < 0 ? 0 : width;
    k->s_title = PyUnicode_InternFromString("title");
    k->s_body = PyUnicode_InternFromString("body");
    k->s_future = PyUnicode_InternFromString("future");
    k->s_past = PyUnicode_InternFromString("past");
    k->s_veto = PyUnicode_InternFromString("topic.none");
    k->s_empty = PyUnicode_InternFromString("");
    k->s_plus = PyUnicode_InternFromString(" + ");
    k->s_ellipsis = PyUnicode_FromOrdinal(0x2026);
    if (!k->s_title || !k->s_body || !k->s_future || !k->s_past || !k->s_veto || !k->s_empty ||
        !k->s_plus || !k->s_ellipsis)
        return -1;
    return 0;
}

/* Kernel(forms, ascii_words, wide_words, term_groups, n_groups, topic, tense, clues,
 *        types, title_weight, output) -- see kernel.py for the shapes. */
static int kernel_init(Kernel *k, PyObject *args, PyObject *kwds) {
    (void)kwds;
    PyObject *forms, *ascii_words, *wide_words, *term_groups, *topic, *tense, *clues, *types;
    PyObject *output;
    int n_groups;
    double title_weight;
    if (!PyArg_ParseTuple(args, "OOOOiOOOOdO", &forms, &ascii_words, &wide_words, &term_groups,
                          &n_groups, &topic, &tense, &clues, &types, &title_weight, &output))
        return -1;
    kernel_clear(k);
    memset((char *)k + sizeof(PyObject), 0, sizeof(Kernel) - sizeof(PyObject));
    k->n_groups = n_groups;
    k->title_weight = title_weight;

    /* forms: (length, check_start, check_end, every, prefix) */
    PyObject *fseq = PySequence_Fast(forms, "forms must be a sequence");
    if (fseq == NULL)
        return -1;
    Py_ssize_t nf = PySequence_Fast_GET_SIZE(fseq);
    PyObject *every_list = PyList_New(nf), *prefix_list = PyList_New(nf);
    k->n_forms = (int32_t)nf;
    k->form_len = malloc(((size_t)nf + 1) * sizeof(int32_t));
    k->form_cs = malloc((size_t)nf + 1);
    k->form_ce = malloc((size_t)nf + 1);
    int ok = every_list && prefix_list && k->form_len && k->form_cs && k->form_ce;
    for (Py_ssize_t i = 0; ok && i < nf; i++) {
        int length, cs, ce;
        PyObject *every, *prefix;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fseq, i), "iiiOO", &length, &cs, &ce,
                              &every, &prefix)) {
            ok = 0;
            break;
        }
        k->form_len[i] = length;
        k->form_cs[i] = (uint8_t)cs;
        k->form_ce[i] = (uint8_t)ce;
        Py_INCREF(every);
        Py_INCREF(prefix);
        PyList_SET_ITEM(every_list, i, every);
        PyList_SET_ITEM(prefix_list, i, prefix);
    }
    int32_t dummy;
    if (ok)
        ok = read_csr(every_list, &k->every_off, &k->every, &dummy) == 0 &&
             read_csr(prefix_list, &k->prefix_off, &k->prefix, &dummy) == 0;
    Py_XDECREF(every_list);
    Py_XDECREF(prefix_list);
    Py_DECREF(fseq);
    if (!ok) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    if (automaton_build(&k->ascii, ascii_words) < 0 || automaton_build(&k->wide, wide_words) < 0)
        return -1;
    for (int32_t s = 0; s < k->ascii.n_states; s++)
        for (int32_t j = k->ascii.out_off[s]; j < k->ascii.out_off[s + 1]; j++)
            if (k->ascii.out_form[j] < 0 || k->ascii.out_form[j] >= nf) {
                PyErr_SetString(PyExc_ValueError, "form index out of range");
                return -1;
            }
    for (int32_t s = 0; s < k->wide.n_states; s++)
        for (int32_t j = k->wide.out_off[s]; j < k->wide.out_off[s + 1]; j++)
            if (k->wide.out_form[j] < 0 || k->wide.out_form[j] >= nf) {
                PyErr_SetString(PyExc_ValueError, "form index out of range");
                return -1;
            }
    if (read_csr(term_groups, &k->tg_off, &k->tg, &k->n_terms) < 0)
        return -1;
    for (int32_t i = 0; i < k->tg_off[k->n_terms]; i++)
        if (k->tg[i] < 0 || check_group(k, k->tg[i]) < 0)
            return -1;
    for (int32_t i = 0; i < k->every_off[nf]; i++)
        if (k->every[i] < 0 || k->every[i] >= k->n_terms) {
            PyErr_SetString(PyExc_ValueError, "term id out of range");
            return -1;
        }
    for (int32_t i = 0; i < k->prefix_off[nf]; i++)
        if (k->prefix[i] < 0 || k->prefix[i] >= k->n_terms) {
            PyErr_SetString(PyExc_ValueError, "term id out of range");
            return -1;
        }

    /* topic: (sides, min_mentions, within | None, none filters) */
    PyObject *sides, *within, *none;
    int min_mentions;
    if (!PyArg_ParseTuple(topic, "OiOO", &sides, &min_mentions, &within, &none))
        return -1;
    if (read_ints(sides, &k->sides, &k->n_sides) < 0 || read_within(within, &k->topic_within) < 0 ||
        read_filters(none, &k->topic_none, &k->n_topic_none) < 0)
        return -1;
    k->min_mentions = min_mentions;
    if (k->n_sides == 0) {
        PyErr_SetString(PyExc_ValueError, "the topic needs a side");
        return -1;
    }
    for (int32_t i = 0; i < k->n_sides; i++)
        if (k->sides[i] < 0 || check_group(k, k->sides[i]) < 0)
            return -1;
    for (int32_t i = 0; i < k->n_topic_none; i++)
        if (k->topic_none[i].group < 0 || check_group(k, k->topic_none[i].group) < 0)
            return -1;

    /* tense: None | (future group, past group, within) */
    if (tense != Py_None) {
        int future, past;
        PyObject *tw;
        if (!PyArg_ParseTuple(tense, "iiO", &future, &past, &tw) ||
            read_within(tw, &k->tense_within) < 0)
            return -1;
        if (check_group(k, future) < 0 || check_group(k, past) < 0 || future < 0 || past < 0)
            return -1;
        k->has_tense = 1;
        k->tense_future = future;
        k->tense_past = past;
    }

    /* clues: (kind, where, groups, weight, none group or -1, min_sentences, within) */
    PyObject *cseq = PySequence_Fast(clues, "clues must be a sequence");
    if (cseq == NULL)
        return -1;
    k->n_clues = (int32_t)PySequence_Fast_GET_SIZE(cseq);
    k->clues = calloc((size_t)k->n_clues + 1, sizeof(Clue));
    if (k->clues == NULL) {
        Py_DECREF(cseq);
        PyErr_NoMemory();
        return -1;
    }
    for (int32_t i = 0; i < k->n_clues; i++) {
        Clue *c = &k->clues[i];
        int kind, where, nonegroup, min_sentences, candidates;
        PyObject *groups, *cw;
        double weight;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(cseq, i), "iiOdiiOi", &kind, &where, &groups,
                              &weight, &nonegroup, &min_sentences, &cw, &candidates) ||
            read_ints(groups, &c->groups, &c->n_groups) < 0 || read_within(cw, &c->within) < 0) {
            Py_DECREF(cseq);
            return -1;
        }
        c->kind = kind;
        c->where = where;
        c->weight = weight;
        c->none = nonegroup;
        c->min_sentences = min_sentences;
        c->candidates = candidates;
        int bad = check_group(k, nonegroup) < 0 || check_group(k, candidates) < 0;
        for (int32_t j = 0; !bad && j < c->n_groups; j++)
            bad = c->groups[j] < 0 || check_group(k, c->groups[j]) < 0;
        if (!bad && (kind == KIND_ALL || kind == KIND_NEAR || kind == KIND_TERMS) && c->n_groups == 0) {
            PyErr_SetString(PyExc_ValueError, "a term clue needs a group");
            bad = 1;
        }
        if (bad) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad clue");
            Py_DECREF(cseq);
            return -1;
        }
    }
    Py_DECREF(cseq);

    /* types: (require groups, none filters, tense, clue indices) */
    PyObject *tseq = PySequence_Fast(types, "types must be a sequence");
    if (tseq == NULL)
        return -1;
    k->n_types = (int32_t)PySequence_Fast_GET_SIZE(tseq);
    k->types = calloc((size_t)k->n_types + 1, sizeof(Type));
    if (k->types == NULL) {
        Py_DECREF(tseq);
        PyErr_NoMemory();
        return -1;
    }
    for (int32_t i = 0; i < k->n_types; i++) {
        Type *t = &k->types[i];
        PyObject *require, *tnone, *tclues;
        int ttense;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(tseq, i), "OOiO", &require, &tnone, &ttense,
                              &tclues) ||
            read_ints(require, &t->require, &t->n_require) < 0 ||
            read_filters(tnone, &t->none, &t->n_none) < 0 ||
            read_ints(tclues, &t->clues, &t->n_clues) < 0) {
            Py_DECREF(tseq);
            return -1;
        }
        t->tense = ttense;
        int bad = 0;
        for (int32_t j = 0; !bad && j < t->n_require; j++)
            bad = t->require[j] < 0 || check_group(k, t->require[j]) < 0;
        for (int32_t j = 0; !bad && j < t->n_none; j++)
            bad = t->none[j].group < 0 || check_group(k, t->none[j].group) < 0;
        for (int32_t j = 0; !bad && j < t->n_clues; j++)
            bad = t->clues[j] < 0 || t->clues[j] >= k->n_clues;
        if (bad) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad type");
            Py_DECREF(tseq);
            return -1;
        }
    }
    Py_DECREF(tseq);
    return read_output(k, output);
}

/* ------------------------------------------------------------------ one document */

typedef struct {
    const Kernel *k;
    const Py_UCS4 *text; /* the lower-cased text, one code point per element */
    int32_t n, title_end;
    int32_t *goff, *gpos, *gtid; /* hits per group, sorted by (position, term) */
    int32_t *sent; /* sent[i]: the sentence of position i (filled by the first scan) */
    int8_t *tense; /* tense at a position (-1: not computed yet), on first use */
    int32_t *wc; /* wc[i]: proximity words starting before i (filled by the first scan) */
    IVec tids;   /* term ids of evidence (near / all clues) */
    PyObject **regex; /* per clue: the regex callback's answer */
    PyObject *regex_fn;
    PyObject *low; /* the text as a str, made for the first regex clue */
    const Py_UCS4 *stext; /* the cleaned text before lower-casing, for snippets */
    Py_ssize_t sn;
    int folded; /* the text has characters that make the regex candidates say nothing */
    int ascii;  /* the text has ASCII characters only */
} Doc;

#define CH(d, i) ((d)->text[(i)])

typedef struct {
    int32_t pos, tid;
} Pair;

static int cmp_pair(const void *x, const void *y) {
    const Pair *a = x, *b = y;
    if (a->pos != b->pos)
        return (a->pos > b->pos) - (a->pos < b->pos);
    return (a->tid > b->tid) - (a->tid < b->tid);
}

enum { C_WORD = 1, C_STOP = 2, C_NEWLINE = 4 };

/* ASCII character classes of the lower-cased text: proximity word characters,
 * . ! ? (a sentence break when text.SENTENCE_BREAK's context agrees) and newline */
static uint8_t ascii_class[128];

static void init_classes(void) {
    for (int c = 0; c < 128; c++)
        ascii_class[c] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                             ? C_WORD
                             : 0;
    ascii_class['.'] = ascii_class['!'] = ascii_class['?'] = C_STOP;
    ascii_class['\n'] = C_NEWLINE;
    for (Py_UCS4 c = 0; c < 0x10000; c++)
        if (is_word_slow(c))
            word_bits[c >> 3] |= (uint8_t)(1 << (c & 7));
}

/* is the . ! ? at i a sentence break: not after a single letter ("s. korea",
 * "u.s."), and followed by closing quotes or brackets and a space */
static inline int stop_breaks(const Py_UCS4 *t, int32_t i, int32_t n) {
    if (i >= 2 && (Py_UNICODE_ISSPACE(t[i - 2]) || t[i - 2] == '.') && t[i - 1] >= 'a' &&
        t[i - 1] <= 'z')
        return 0;
    if (i == 1 && t[0] >= 'a' && t[0] <= 'z')
        return 0;
    int32_t j = i + 1;
    while (j < n && (t[j] == '\'' || t[j] == '"' || t[j] == ')' || t[j] == ']'))
        j++;
    return j < n && t[j] == ' ';
}

/* the forms that end at i in automaton state s: their checked (start, term) hits */
static __attribute__((noinline)) int emit(const Kernel *k, const Automaton *a, const Doc *d, IVec *hits, uint32_t s,
                       int32_t i) {
    const int32_t n = d->n;
    for (uint32_t t = s; t != 0; t = a->link[t]) {
        for (int32_t j = a->out_off[t]; j < a->out_off[t + 1]; j++) {
            int32_t f = a->out_form[j];
            int32_t start = i - k->form_len[f] + 1;
            if (k->form_cs[f] && start > 0 && is_latin(CH(d, start - 1)))
                continue;
            const int32_t *off = k->every_off, *ids = k->every;
            if (k->form_ce[f] && i + 1 < n && is_latin(CH(d, i + 1))) {
                off = k->prefix_off;
                ids = k->prefix;
            }
            int32_t lo = off[f], hi = off[f + 1];
            if (RESERVE(hits, hits->n + 2 * (hi - lo)) < 0)
                return -1;
            int32_t *out = hits->v + hits->n;
            for (int32_t m = lo; m < hi; m++) {
                *out++ = start;
                *out++ = ids[m];
            }
            hits->n += 2 * (Py_ssize_t)(hi - lo);
        }
    }
    return 0;
}

/* the offset of c's column in the transition table */
static inline uint32_t column(const Automaton *a, const uint32_t *restrict col, Py_UCS4 c) {
    return c < 0x10000 ? col[c] : (uint32_t)symbol_of(a, c) * (uint32_t)a->n_states;
}

static int append(IVec *to, const IVec *from) {
    for (Py_ssize_t i = 0; i < from->n; i++)
        if (PUSH(to, from->v[i]) < 0)
            return -1;
    return 0;
}

/* Where the second half of a two-chain pass starts: each automaton step waits for the
 * previous one, so a pass runs two independent chains, over [0, mid) and over
 * [start, n). The second starts max_len - 1 characters before mid, so it sees every
 * form that ends at mid or later; it reports only those. 0: one chain. */
static int32_t second_start(int32_t n, int32_t max_len) {
    int32_t mid = n / 2, start = mid - (max_len - 1);
    return n >= 256 && start > 0 ? start : 0;
}

/* One automaton's hits, in the order of their end positions. */
static int scan(const Kernel *k, const Automaton *a, Doc *d, IVec *hits, IVec *tail) {
    const int32_t n = d->n, mid = n / 2, start = second_start(n, a->max_len);
    const uint16_t *restrict delta = a->delta;
    const uint32_t *restrict col = a->col;
    const Py_UCS4 *restrict text = d->text;
    uint32_t s1 = 0, s2 = 0;
    int32_t i = 0, j = start;
    tail->n = 0;
    if (start > 0)
        for (; i < mid; i++, j++) {
            uint32_t x1 = delta[column(a, col, text[i]) + s1];
            uint32_t x2 = delta[column(a, col, text[j]) + s2];
            s1 = x1 & (HIT_BIT - 1);
            s2 = x2 & (HIT_BIT - 1);
            if ((x1 | x2) & HIT_BIT) {
                if ((x1 & HIT_BIT) && emit(k, a, d, hits, s1, i) < 0)
                    return -1;
                if ((x2 & HIT_BIT) && j >= mid && emit(k, a, d, tail, s2, j) < 0)
                    return -1;
            }
        }
    IVec *rest = start > 0 ? tail : hits;
    for (; j < n; j++) {
        uint32_t x2 = delta[column(a, col, text[j]) + s2];
        s2 = x2 & (HIT_BIT - 1);
        if ((x2 & HIT_BIT) && emit(k, a, d, rest, s2, j) < 0)
            return -1;
    }
    return append(hits, tail);
}

/* Both automata in one pass (for a text with characters outside ASCII), each as two
 * chains as in scan(): four chains of dependent loads overlap. */
static int scan_both(const Kernel *k, Doc *d, IVec *hits_a, IVec *hits_w, IVec *tail_a,
                     IVec *tail_w) {
    const Automaton *A = &k->ascii, *W = &k->wide;
    const int32_t n = d->n, mid = n / 2;
    const int32_t start = second_start(n, A->max_len > W->max_len ? A->max_len : W->max_len);
    const uint16_t *restrict da = A->delta, *restrict dw = W->delta;
    const uint32_t *restrict ya = A->col, *restrict yw = W->col;
    const Py_UCS4 *restrict text = d->text;
    uint32_t a1 = 0, a2 = 0, w1 = 0, w2 = 0;
    int32_t i = 0, j = start;
    tail_a->n = tail_w->n = 0;
    if (start > 0)
        for (; i < mid; i++, j++) {
            Py_UCS4 c1 = text[i], c2 = text[j];
            uint32_t xa1 = da[column(A, ya, c1) + a1], xw1 = dw[column(W, yw, c1) + w1];
            uint32_t xa2 = da[column(A, ya, c2) + a2], xw2 = dw[column(W, yw, c2) + w2];
            a1 = xa1 & (HIT_BIT - 1);
            w1 = xw1 & (HIT_BIT - 1);
            a2 = xa2 & (HIT_BIT - 1);
            w2 = xw2 & (HIT_BIT - 1);
            if ((xa1 | xw1 | xa2 | xw2) & HIT_BIT) {
                if ((xa1 & HIT_BIT) && emit(k, A, d, hits_a, a1, i) < 0)
                    return -1;
                if ((xw1 & HIT_BIT) && emit(k, W, d, hits_w, w1, i) < 0)
                    return -1;
                if (j >= mid) {
                    if ((xa2 & HIT_BIT) && emit(k, A, d, tail_a, a2, j) < 0)
                        return -1;
                    if ((xw2 & HIT_BIT) && emit(k, W, d, tail_w, w2, j) < 0)
                        return -1;
                }
            }
        }
    IVec *rest_a = start > 0 ? tail_a : hits_a, *rest_w = start > 0 ? tail_w : hits_w;
    for (; j < n; j++) {
        Py_UCS4 c = text[j];
        uint32_t xa = da[column(A, ya, c) + a2], xw = dw[column(W, yw, c) + w2];
        a2 = xa & (HIT_BIT - 1);
        w2 = xw & (HIT_BIT - 1);
        if ((xa & HIT_BIT) && emit(k, A, d, rest_a, a2, j) < 0)
            return -1;
        if ((xw & HIT_BIT) && emit(k, W, d, rest_w, w2, j) < 0)
            return -1;
    }
    return append(hits_a, tail_a) < 0 ? -1 : append(hits_w, tail_w);
}

/* The text's structure, on first use: d->sent, the sentence of each position
 * (text.SENTENCE_BREAK), and d->wc, the proximity words starting before each position
 * (text.word_starts). 0, or -1 with an exception. */
static int structure(Doc *d) {
    const int32_t n = d->n;
    int32_t *restrict sent = d->sent = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *restrict wc = d->wc = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (sent == NULL || wc == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    const Py_UCS4 *restrict text = d->text;
    int32_t sentences = 0, words = 0, run = -1;
    int prev_word = 0, parity = 0;
    if (d->ascii) { /* the same, for a text with ASCII characters only */
        for (int32_t i = 0; i < n; i++) {
            int cls = ascii_class[text[i]], w = cls & C_WORD;
            wc[i] = words;
            words += w & (prev_word ^ 1);
            prev_word = w;
            if (cls & (C_STOP | C_NEWLINE))
                sentences += (cls & C_NEWLINE) || stop_breaks(text, i, n);
            sent[i] = sentences;
        }
        wc[n] = words;
        return 0;
    }
    for (int32_t i = 0; i < n; i++) {
        Py_UCS4 c = text[i];
        wc[i] = words;
        if (c < 128) {
            int cls = ascii_class[c], w = cls & C_WORD;
            words += w & (prev_word ^ 1);
            prev_word = w;
            run = -1;
            if (cls & (C_STOP | C_NEWLINE))
                sentences += (cls & C_NEWLINE) || stop_breaks(text, i, n);
        } else if (is_cjk(c)) {
            if (run < 0) { /* a run of CJK characters: a word every two characters */
                run = i;
                parity = 1;
            }
            words += parity;
            parity ^= 1;
            prev_word = 0;
        } else {
            run = -1;
            if (is_word(c)) {
                words += !prev_word;
                prev_word = 1;
            } else {
                prev_word = 0;
                sentences += c == 0x3002 || c == 0xFF01 || c == 0xFF1F;
            }
        }
        sent[i] = sentences;
    }
    wc[n] = words;
    return 0;
}

/* sort one run of (position, term) hits that is nearly sorted already */
static void sort_run(Pair *v, Py_ssize_t n) {
    int64_t moves = 0, budget = 8 * (int64_t)n + 64;
    for (Py_ssize_t i = 1; i < n && moves <= budget; i++) {
        Pair x = v[i];
        Py_ssize_t j = i;
        while (j > 0 && (v[j - 1].pos > x.pos || (v[j - 1].pos == x.pos && v[j - 1].tid > x.tid))) {
            v[j] = v[j - 1];
            j--;
        }
        moves += i - j;
        v[j] = x;
    }
    if (moves > budget)
        qsort(v, (size_t)n, sizeof(Pair), cmp_pair);
}

/* Each group's hits, sorted by (position, term): the hits of both automata are sorted
 * (each pass reports them nearly in order), merged, and dealt out to the groups of
 * their terms in that order. `split` is where the second pass's hits begin. */
static int doc_groups(Doc *d, IVec *hits, Py_ssize_t split) {
    const Kernel *k = d->k;
    int32_t ng = k->n_groups;
    Py_ssize_t nh = hits->n / 2;
    Pair *raw = (Pair *)hits->v; /* (pos, tid) pairs laid out as two int32 each */
    split /= 2;
    sort_run(raw, split);
    sort_run(raw + split, nh - split);
    Pair *sorted = raw;
    Pair *merged = NULL;
    if (split > 0 && split < nh) {
        merged = malloc((size_t)nh * sizeof(Pair));
        if (merged == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        Py_ssize_t a = 0, b = split, o = 0;
        while (a < split && b < nh) {
            int take_b = raw[b].pos < raw[a].pos || (raw[b].pos == raw[a].pos && raw[b].tid < raw[a].tid);
            merged[o++] = take_b ? raw[b++] : raw[a++];
        }
        while (a < split)
            merged[o++] = raw[a++];
        while (b < nh)
            merged[o++] = raw[b++];
        sorted = merged;
    }
    d->goff = calloc((size_t)ng + 2, sizeof(int32_t));
    if (d->goff == NULL) {
        free(merged);
        PyErr_NoMemory();
        return -1;
    }
    const int32_t *restrict tg_off = k->tg_off, *restrict tg = k->tg;
    int32_t *restrict goff = d->goff;
    Py_ssize_t total = 0;
    for (Py_ssize_t h = 0; h < nh; h++) {
        int32_t tid = sorted[h].tid, lo = tg_off[tid], hi = tg_off[tid + 1];
        for (int32_t m = lo; m < hi; m++)
            goff[tg[m] + 2]++;
        total += hi - lo;
    }
    for (int32_t g = 0; g < ng; g++)
        goff[g + 2] += goff[g + 1];
    d->gpos = malloc(((size_t)total + 1) * sizeof(int32_t));
    d->gtid = malloc(((size_t)total + 1) * sizeof(int32_t));
    if (d->gpos == NULL || d->gtid == NULL) {
        free(merged);
        PyErr_NoMemory();
        return -1;
    }
    /* goff[g + 1] is the fill cursor of group g; afterwards goff[g] is its start */
    int32_t *restrict gpos = d->gpos, *restrict gtid = d->gtid;
    for (Py_ssize_t h = 0; h < nh; h++) {
        int32_t pos = sorted[h].pos, tid = sorted[h].tid, lo = tg_off[tid], hi = tg_off[tid + 1];
        for (int32_t m = lo; m < hi; m++) {
            int32_t at = goff[tg[m] + 1]++;
            gpos[at] = pos;
            gtid[at] = tid;
        }
    }
    free(merged);
    return 0;
}

static inline int32_t g_lo(const Doc *d, int32_t g) { return d->goff[g]; }
static inline int32_t g_hi(const Doc *d, int32_t g) { return d->goff[g + 1]; }
static inline int present(const Doc *d, int32_t g) { return g >= 0 && d->goff[g + 1] > d->goff[g]; }

/* first index in [lo, hi) whose position is >= pos */
static inline int32_t lower_bound(const int32_t *v, int32_t lo, int32_t hi, int32_t pos) {
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* the group's hits in `where`: a contiguous range of its list */
static void range_in(const Doc *d, int32_t g, int32_t where, int32_t *lo, int32_t *hi) {
    *lo = g_lo(d, g);
    *hi = g_hi(d, g);
    if (where == WHERE_ANY)
        return;
    int32_t cut = lower_bound(d->gpos, *lo, *hi, d->title_end);
    if (where == WHERE_TITLE)
        *hi = cut;
    else
        *lo = cut;
}

/* the sentence of a position: the number of breaks at or before it */
static inline int32_t sentence(Doc *d, int32_t pos) {
    if (d->sent == NULL && structure(d) < 0)
        return -1;
    return d->sent[pos];
}

/* 1 when a and b are within range, 0 when not, -1 on error */
static int close_to(Doc *d, int32_t a, int32_t b, Within w) {
    if (w.unit == UNIT_SENTENCES) {
        int32_t sa = sentence(d, a), sb = sentence(d, b);
        if (sa < 0 || sb < 0)
            return -1;
        return abs(sa - sb) < w.count;
    }
    int32_t lo = a <= b ? a : b, hi = a <= b ? b : a;
    if (hi - lo <= w.count)
        return 1;
    if ((int64_t)(hi - lo) > 25 * (int64_t)w.count + 30)
        return 0;
    if (d->wc == NULL && structure(d) < 0)
        return -1;
    return d->wc[hi] - d->wc[lo] <= w.count;
}

/* The index (first of its position) of the group's hit nearest to pos when within
 * range; -1 when none; -2 on error. Of two at the same distance the earlier first. */
static int32_t nearest(Doc *d, int32_t g, int32_t pos, Within w) {
    int32_t lo = g_lo(d, g), hi = g_hi(d, g);
    if (lo == hi)
        return -1;
    int32_t i = lower_bound(d->gpos, lo, hi, pos);
    int32_t order[2], n_order;
    if (i == hi) {
        order[0] = d->gpos[hi - 1];
        n_order = 1;
    } else if (i == lo) {
        order[0] = d->gpos[lo];
        n_order = 1;
    } else {
        int32_t before = d->gpos[i - 1], after = d->gpos[i];
        if (pos - before <= after - pos) {
            order[0] = before;
            order[1] = after;
        } else {
            order[0] = after;
            order[1] = before;
        }
        n_order = 2;
    }
    for (int32_t j = 0; j < n_order; j++) {
        int r = close_to(d, pos, order[j], w);
        if (r < 0)
            return -2;
        if (r)
            return lower_bound(d->gpos, lo, hi, order[j]);
    }
    return -1;
}

/* TENSE_* of the nearest cue in the same sentence; -1 on error */
static int tense_compute(Doc *d, int32_t pos);

static int tense_at(Doc *d, int32_t pos) {
    if (!d->k->has_tense)
        return TENSE_NONE;
    if (d->tense == NULL) {
        d->tense = malloc((size_t)d->n + 1);
        if (d->tense == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memset(d->tense, 0xFF, (size_t)d->n + 1);
    }
    if (d->tense[pos] < 0) {
        int t = tense_compute(d, pos);
        if (t < 0)
            return -1;
        d->tense[pos] = (int8_t)t;
    }
    return d->tense[pos];
}

static int tense_compute(Doc *d, int32_t pos) {
    const Kernel *k = d->k;
    int32_t s = sentence(d, pos);
    if (s < 0)
        return -1;
    int32_t best = -1;
    int result = TENSE_NONE;
    int32_t groups[2] = {k->tense_future, k->tense_past};
    for (int t = 0; t < 2; t++) {
        int32_t at = nearest(d, groups[t], pos, k->tense_within);
        if (at == -2)
            return -1;
        if (at < 0)
            continue;
        int32_t cue = d->gpos[at];
        int32_t cs = sentence(d, cue);
        if (cs < 0)
            return -1;
        if (cs != s)
            continue;
        int32_t dist = abs(cue - pos);
        if (best < 0 || dist < best) { /* ties: "future" sorts first */
            best = dist;
            result = t == 0 ? TENSE_FUTURE : TENSE_PAST;
        }
    }
    return result;
}

/* the first hit of the first filter with one: its index, -1 for none */
static int32_t vetoed(Doc *d, const Filter *filters, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        int32_t lo, hi;
        if (!present(d, filters[i].group))
            continue;
        range_in(d, filters[i].group, filters[i].where, &lo, &hi);
        if (lo < hi)
            return lo;
    }
    return -1;
}

/* ------------------------------------------------------------------ clues */

typedef struct {
    int32_t pos, payload; /* terms: term id; all/near: offset in doc tids; regex: item index */
} CHit;

typedef struct {
    CHit *v;
    Py_ssize_t n, cap;
} HVec;

static int same_sentence_as(Doc *d, int32_t g, int32_t pos) {
    int32_t lo = g_lo(d, g), hi = g_hi(d, g);
    int32_t s = sentence(d, pos);
    if (s < 0)
        return -1;
    int32_t i = lower_bound(d->gpos, lo, hi, pos);
    for (int32_t j = i - 1; j <= i; j++) {
        if (j < lo || j >= hi)
            continue;
        int32_t t = sentence(d, d->gpos[j]);
        if (t < 0)
            return -1;
        if (t == s)
            return 1;
    }
    return 0;
}

static int regex_hits(Doc *d, int32_t ci, HVec *out) {
    if (d->low == NULL) {
        d->low = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, d->text, d->n);
        if (d->low == NULL)
            return -1;
    }
    if (d->regex[ci] == NULL) {
        PyObject *found = PyObject_CallFunction(d->regex_fn, "iOi", (int)ci, d->low, (int)d->title_end);
        if (found == NULL)
            return -1;
        if (!PyList_Check(found)) {
            Py_DECREF(found);
            PyErr_SetString(PyExc_TypeError, "the regex callback must return a list");
            return -1;
        }
        d->regex[ci] = found;
    }
    PyObject *found = d->regex[ci];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(found); i++) {
        PyObject *item = PyList_GET_ITEM(found, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "regex hits must be (start, text) tuples");
            return -1;
        }
        long pos = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
        if (pos == -1 && PyErr_Occurred())
            return -1;
        if (PUSH(out, ((CHit){(int32_t)pos, (int32_t)i})) < 0)
            return -1;
    }
    return 0;
}

/* The clue's hits in text order (before tense filtering); 0 or -1 on error. */
static int clue_hits(Doc *d, int32_t ci, int first, HVec *out) {
    const Clue *c = &d->k->clues[ci];
    out->n = 0;
    for (int32_t j = 0; j < c->n_groups; j++)
        if (!present(d, c->groups[j]))
            return 0;
    int32_t lo, hi;
    switch (c->kind) {
    case KIND_REGEX:
        if (c->candidates >= 0 && !d->folded && !present(d, c->candidates))
            break; /* no text that a match starts with */
        if (regex_hits(d, ci, out) < 0)
            return -1;
        break;
    case KIND_TERMS:
        range_in(d, c->groups[0], c->where, &lo, &hi);
        for (int32_t i = lo; i < hi; i++)
            if (PUSH(out, ((CHit){d->gpos[i], d->gtid[i]})) < 0)
                return -1;
        break;
    case KIND_ALL: {
        int32_t off = (int32_t)d->tids.n;
        for (int32_t j = 0; j < c->n_groups; j++) {
            int32_t glo, ghi;
            range_in(d, c->groups[j], c->where, &glo, &ghi);
            if (glo == ghi) {
                d->tids.n = off;
                return 0;
            }
            if (PUSH(&d->tids, d->gtid[glo]) < 0)
                return -1;
        }
        range_in(d, c->groups[0], c->where, &lo, &hi);
        for (int32_t i = lo; i < hi; i++)
            if (PUSH(out, ((CHit){d->gpos[i], off})) < 0)
                return -1;
        break;
    }
    case KIND_NEAR: {
        int stop = first && c->none < 0;
        range_in(d, c->groups[0], c->where, &lo, &hi);
        for (int32_t i = lo; i < hi; i++) {
            int32_t pos = d->gpos[i], off = (int32_t)d->tids.n;
            if (PUSH(&d->tids, d->gtid[i]) < 0)
                return -1;
            int all = 1;
            for (int32_t j = 1; j < c->n_groups; j++) {
                int32_t at = nearest(d, c->groups[j], pos, c->within);
                if (at == -2)
                    return -1;
                if (at < 0) {
                    all = 0;
                    break;
                }
                if (PUSH(&d->tids, d->gtid[at]) < 0)
                    return -1;
            }
            if (!all) {
                d->tids.n = off;
                continue;
            }
            if (PUSH(out, ((CHit){pos, off})) < 0)
                return -1;
            if (stop)
                break;
        }
        break;
    }
    default:
        PyErr_SetString(PyExc_ValueError, "unknown clue kind");
        return -1;
    }
    if (out->n && present(d, c->none)) {
        Py_ssize_t kept = 0;
        for (Py_ssize_t i = 0; i < out->n; i++) {
            int r = same_sentence_as(d, c->none, out->v[i].pos);
            if (r < 0)
                return -1;
            if (!r)
                out->v[kept++] = out->v[i];
        }
        out->n = kept;
    }
    if (c->min_sentences > 1 && out->n) {
        /* distinct sentences of the hits (positions ascend, so sentences do too) */
        int32_t distinct = 0, last = -1;
        for (Py_ssize_t i = 0; i < out->n; i++) {
            int32_t s = sentence(d, out->v[i].pos);
            if (s < 0)
                return -1;
            if (s != last) {
                distinct++;
                last = s;
            }
        }
        if (distinct < c->min_sentences)
            out->n = 0;
    }
    return 0;
}

/* ------------------------------------------------------------------ scoring */

/* one piece of a type's evidence: the best hit of one of its clues */
typedef struct {
    int32_t slot, ci, pos, payload;
    double gain;
} Ev;

typedef struct {
    Ev *v;
    Py_ssize_t n, cap;
} EVec;

/* A type's score: 1 when it scores (total, tense and its evidence appended to ev),
 * 0 when it does not, -1 on error. */
static int score_type(Doc *d, const Type *t, HVec *hits, EVec *ev, double *total_out,
                      int *tense_out) {
    const Kernel *k = d->k;
    for (int32_t j = 0; j < t->n_require; j++)
        if (!present(d, t->require[j]))
            return 0;
    if (vetoed(d, t->none, t->n_none) >= 0)
        return 0;
    double total = 0.0, w_future = 0.0, w_past = 0.0;
    Py_ssize_t first_ev = ev->n;
    int n_future = 0, n_past = 0;
    for (int32_t j = 0; j < t->n_clues; j++) {
        int32_t ci = t->clues[j];
        const Clue *c = &k->clues[ci];
        int first = t->tense == TENSE_NONE && c->min_sentences == 1;
        if (clue_hits(d, ci, first, hits) < 0)
            return -1;
        if (hits->n == 0)
            continue;
        if (t->tense != TENSE_NONE) {
            Py_ssize_t m = hits->n, kept = 0;
            for (Py_ssize_t i = 0; i < m; i++) {
                int mark = tense_at(d, hits->v[i].pos);
                if (mark < 0)
                    return -1;
                if (mark == TENSE_FUTURE)
                    w_future += c->weight / (double)m;
                else if (mark == TENSE_PAST)
                    w_past += c->weight / (double)m;
                if (mark == TENSE_NONE || mark == t->tense)
                    hits->v[kept++] = hits->v[i];
            }
            hits->n = kept;
            if (kept == 0)
                continue;
        }
        CHit best = hits->v[0];
        for (Py_ssize_t i = 0; i < hits->n; i++)
            if (hits->v[i].pos < d->title_end) {
                best = hits->v[i];
                break;
            }
        double gain = c->weight * (best.pos < d->title_end ? k->title_weight : 1.0);
        total += gain;
        if (t->tense == TENSE_NONE) {
            int mark = tense_at(d, best.pos);
            if (mark < 0)
                return -1;
            n_future += mark == TENSE_FUTURE;
            n_past += mark == TENSE_PAST;
        }
        Ev e = {j, ci, best.pos, best.payload, gain};
        if (PUSH(ev, e) < 0)
            return -1;
    }
    if (ev->n == first_ev || (t->tense == TENSE_FUTURE && !(w_future > w_past)) ||
        (t->tense == TENSE_PAST && !(w_past >= w_future))) {
        ev->n = first_ev;
        return 0;
    }
    int tense = t->tense;
    if (tense == TENSE_NONE)
        tense = n_future == n_past ? TENSE_NONE : (n_future > n_past ? TENSE_FUTURE : TENSE_PAST);
    *total_out = total;
    *tense_out = tense;
    return 1;
}

/* ------------------------------------------------------------------ the gate */

typedef struct {
    int32_t count, pos, tid; /* per side: its mentions, and the first one */
} Side;

/* 1 relevant so far, 0 not, -1 error; fills sides[] and *veto (a group-list index or -1) */
static int gate(Doc *d, Side *sides, int32_t *veto_out) {
    const Kernel *k = d->k;
    int ok = 1;
    for (int32_t s = 0; s < k->n_sides; s++) {
        int32_t g = k->sides[s], lo = g_lo(d, g), hi = g_hi(d, g);
        int32_t in_title = lower_bound(d->gpos, lo, hi, d->title_end) - lo;
        sides[s].count = hi - lo;
        sides[s].pos = hi > lo ? d->gpos[lo] : -1;
        sides[s].tid = hi > lo ? d->gtid[lo] : -1;
        if (in_title == 0 && hi - lo < k->min_mentions)
            ok = 0;
    }
    if (ok && k->topic_within.count > 0) {
        int32_t anchor = k->sides[0], close = 0;
        for (int32_t i = g_lo(d, anchor); !close && i < g_hi(d, anchor); i++) {
            int all = 1;
            for (int32_t s = 1; all && s < k->n_sides; s++) {
                int32_t at = nearest(d, k->sides[s], d->gpos[i], k->topic_within);
                if (at == -2)
                    return -1;
                all = at >= 0;
            }
            close = all;
        }
        ok = close;
    }
    *veto_out = vetoed(d, k->topic_none, k->n_topic_none);
    if (*veto_out >= 0)
        ok = 0;
    return ok;
}

/* ------------------------------------------------------------------ the answer */

/* a new instance of a slotted model class with its fields set (values borrowed) */
static PyObject *make(PyTypeObject *tp, PyObject *const *fields, PyObject *const *values, int n) {
    PyObject *o = tp->tp_alloc(tp, 0);
    if (o == NULL)
        return NULL;
    for (int i = 0; i < n; i++)
        if (Py_TYPE(fields[i])->tp_descr_set(fields[i], o, values[i]) < 0) {
            Py_DECREF(o);
            return NULL;
        }
    return o;
}

/* round(x, 3) as Python computes it: the correctly rounded decimal, ties to even */
static double round3(double x) {
    double y = x * 1000.0, r = nearbyint(y);
    if (fabs(fabs(y - r) - 0.5) > 1e-6 && fabs(y) < 1e12)
        return r / 1000.0;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.3f", x);
    return strtod(buf, NULL);
}

/* doc.snippet(): the text around pos, newlines shown as " | ", stripped, with "…" */
static PyObject *snippet_of(const Doc *d, int32_t pos) {
    Py_ssize_t w = d->k->snippet_width, n = d->sn;
    Py_ssize_t start = pos - w > 0 ? pos - w : 0, stop = pos + w + 10;
    if (stop > n)
        stop = n;
    if (start > stop)
        start = stop;
    Py_UCS4 local[512], *out = local;
    size_t need = 3 * (size_t)(stop - start) + 2;
    if (need > sizeof(local) / sizeof(local[0])) {
        out = PyMem_Malloc(need * sizeof(Py_UCS4));
        if (out == NULL)
            return PyErr_NoMemory();
    }
    Py_ssize_t m = 1;
    for (Py_ssize_t i = start; i < stop; i++) {
        Py_UCS4 c = d->stext[i];
        if (c == '\n') {
            out[m++] = ' ';
            out[m++] = '|';
            out[m++] = ' ';
        } else {
            out[m++] = c;
        }
    }
    Py_ssize_t lo = 1, hi = m;
    while (lo < hi && Py_UNICODE_ISSPACE(out[lo]))
        lo++;
    while (hi > lo && Py_UNICODE_ISSPACE(out[hi - 1]))
        hi--;
    if (start > 0)
        out[--lo] = 0x2026;
    out[hi++] = 0x2026;
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out + lo, hi - lo);
    if (out != local)
        PyMem_Free(out);
    return result;
}

static PyObject *evidence(const Doc *d, PyObject *rule, PyObject *term, int32_t pos,
                          double weight, int with_snippet) {
    const Kernel *k = d->k;
    PyObject *w = PyFloat_FromDouble(weight);
    PyObject *snip = with_snippet ? snippet_of(d, pos) : Py_NewRef(k->s_empty);
    PyObject *result = NULL;
    if (w != NULL && snip != NULL) {
        PyObject *values[5] = {rule, term, pos < d->title_end ? k->s_title : k->s_body, w, snip};
        result = make(k->cls_evidence, k->f_evidence, values, 5);
    }
    Py_XDECREF(w);
    Py_XDECREF(snip);
    return result;
}

/* the text an evidence names: the term, the terms joined by " + ", or the regex match */
static PyObject *evidence_term(Doc *d, const Ev *e) {
    const Kernel *k = d->k;
    const Clue *c = &k->clues[e->ci];
    if (c->kind == KIND_REGEX) {
        PyObject *pair = PyList_GET_ITEM(d->regex[e->ci], e->payload);
        return Py_NewRef(PyTuple_GET_ITEM(pair, 1));
    }
    if (c->kind == KIND_TERMS || c->n_groups == 1) {
        int32_t tid = c->kind == KIND_TERMS ? e->payload : d->tids.v[e->payload];
        return Py_NewRef(PyTuple_GET_ITEM(k->term_text, tid));
    }
    PyObject *parts = PyTuple_New(c->n_groups);
    if (parts == NULL)
        return NULL;
    for (int32_t j = 0; j < c->n_groups; j++)
        PyTuple_SET_ITEM(parts, j,
                         Py_NewRef(PyTuple_GET_ITEM(k->term_text, d->tids.v[e->payload + j])));
    PyObject *joined = PyUnicode_Join(k->s_plus, parts);
    Py_DECREF(parts);
    return joined;
}

static PyObject *label(Doc *d, int32_t type, double score, int tense, const Ev *ev,
                       Py_ssize_t n) {
    const Kernel *k = d->k;
    PyObject *names = PyTuple_GET_ITEM(k->rule_names, type);
    PyObject *reasons = PyTuple_New(n), *score_obj = PyFloat_FromDouble(score), *result = NULL;
    if (reasons == NULL || score_obj == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *term = evidence_term(d, &ev[i]);
        if (term == NULL)
            goto done;
        PyObject *item = evidence(d, PyTuple_GET_ITEM(names, ev[i].slot), term, ev[i].pos,
                                  ev[i].gain, 1);
        Py_DECREF(term);
        if (item == NULL)
            goto done;
        PyTuple_SET_ITEM(reasons, i, item);
    }
    PyObject *tense_obj = tense == TENSE_FUTURE ? k->s_future : tense == TENSE_PAST ? k->s_past
                                                                                    : Py_None;
    PyObject *values[4] = {PyTuple_GET_ITEM(k->type_ids, type), score_obj, reasons, tense_obj};
    result = make(k->cls_label, k->f_label, values, 4);
done:
    Py_XDECREF(reasons);
    Py_XDECREF(score_obj);
    return result;
}

/* the gate's evidence: each present side, then the veto */
static PyObject *gate_evidence(Doc *d, const Side *sides, int32_t veto) {
    const Kernel *k = d->k;
    PyObject *items[64], *result = NULL;
    Py_ssize_t n = 0;
    if (k->n_sides >= 63) {
        PyErr_SetString(PyExc_OverflowError, "too many topic sides");
        return NULL;
    }
    for (int32_t s = 0; s < k->n_sides; s++) {
        if (sides[s].count == 0)
            continue;
        items[n] = evidence(d, PyTuple_GET_ITEM(k->side_rules, s),
                            PyTuple_GET_ITEM(k->term_text, sides[s].tid), sides[s].pos,
                            (double)sides[s].count, 0);
        if (items[n] == NULL)
            goto done;
        n++;
    }
    if (veto >= 0) {
        items[n] = evidence(d, k->s_veto, PyTuple_GET_ITEM(k->term_text, d->gtid[veto]),
                            d->gpos[veto], 0.0, 1);
        if (items[n] == NULL)
            goto done;
        n++;
    }
    result = PyTuple_New(n);
    if (result == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(result, i, items[i]);
    return result;
done:
    for (Py_ssize_t i = 0; i < n; i++)
        Py_DECREF(items[i]);
    return NULL;
}

/* Classification(relevant, labels, scores, gate_evidence) */
static PyObject *answer(const Kernel *k, int relevant, PyObject *labels, PyObject *scores,
                        PyObject *gate) {
    PyObject *values[4] = {relevant ? Py_True : Py_False, labels, scores, gate};
    return make(k->cls_result, k->f_result, values, 4);
}

/* The Classification of buf[0..n) (prepare() of the title, a newline and the text;
 * `ascii` when both were ASCII): lower-cased, matched and scored; snippets come from buf, or from
 * the lower-cased text when str.lower() changed its length. */
static PyObject *classify_text(Kernel *k, const Py_UCS4 *buf, Py_ssize_t n, Py_ssize_t title_end,
                               int ascii, PyObject *regex_fn) {
    if (n >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_OverflowError, "text too long for the kernel");
        return NULL;
    }
    Doc d;
    memset(&d, 0, sizeof(d));
    d.k = k;
    d.n = (int32_t)n;
    d.title_end = (int32_t)title_end;
    d.regex_fn = regex_fn;
    d.stext = buf;
    d.sn = n;
    IVec hits = {0}, wide_hits = {0}, tail_a = {0}, tail_w = {0};
    HVec chits = {0};
    EVec ev = {0};
    Side *sides = NULL;
    Py_UCS4 *low = PyMem_Malloc(((size_t)n + 2) * sizeof(Py_UCS4));
    PyObject *result = NULL, *gate_ev = NULL, *labels = NULL, *scores = NULL, *list = NULL;
    PyObject *norm = NULL, *low_obj = NULL;
    d.regex = calloc((size_t)k->n_clues + 1, sizeof(PyObject *));
    sides = malloc(((size_t)k->n_sides + 1) * sizeof(Side));
    if (d.regex == NULL || sides == NULL || low == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    d.text = low;
    /* lower-case from the table; a character it does not settle sends the text to
     * str.lower() (longer lower cases, final sigma, no tables yet) */
    int settled = lower_table != NULL;
    uint32_t all = 0;
    if (ascii) { /* (one pass the compiler vectorises) */
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = buf[i];
            low[i] = c + ((c - 'A' < 26u) << 5);
        }
        settled = 1;
    } else if (settled) {
        const uint16_t *restrict lt = lower_table;
        uint32_t miss = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 x = buf[i];
            uint32_t l = x < 0x10000 ? lt[x] : 0xFFFF;
            low[i] = l;
            all |= l;
            miss |= l + 1; /* 0x10000 for 0xFFFF */
        }
        settled = !(miss >> 16);
    }
    if (!settled) {
        norm = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
        low_obj = norm ? PyObject_CallMethod(norm, "lower", NULL) : NULL;
        if (low_obj == NULL)
            goto done;
        Py_ssize_t nl = PyUnicode_GET_LENGTH(low_obj);
        if (nl >= INT32_MAX / 2) {
            PyErr_SetString(PyExc_OverflowError, "text too long for the kernel");
            goto done;
        }
        PyMem_Free(low);
        low = PyUnicode_AsUCS4Copy(low_obj);
        if (low == NULL)
            goto done;
        d.text = low;
        d.n = (int32_t)nl;
        if (nl != n) { /* positions are in the lower-cased text: snippets come from it too */
            d.stext = low;
            d.sn = nl;
        }
        all = PyUnicode_MAX_CHAR_VALUE(low_obj);
    }
    /* "i" and "s" of a regex also match these: the regex candidates say nothing */
    d.ascii = all < 128;
    if (!d.ascii)
        d.folded = has_char(low, d.n, 0x131) || has_char(low, d.n, 0x17F);
    if (RESERVE(&hits, d.n / 4 + 64) < 0)
        goto done;
    Py_ssize_t split;
    if (all >= 128) {
        if (scan_both(k, &d, &hits, &wide_hits, &tail_a, &tail_w) < 0)
            goto done;
        split = hits.n;
        if (append(&hits, &wide_hits) < 0)
            goto done;
    } else {
        if (scan(k, &k->ascii, &d, &hits, &tail_a) < 0)
            goto done;
        split = hits.n;
    }
    if (doc_groups(&d, &hits, split) < 0)
        goto done;
    int32_t veto = -1;
    int ok = gate(&d, sides, &veto);
    if (ok < 0)
        goto done;
    gate_ev = gate_evidence(&d, sides, veto);
    scores = PyDict_New();
    if (gate_ev == NULL || scores == NULL)
        goto done;
    if (!ok) {
        labels = PyTuple_New(0);
        if (labels != NULL)
            result = answer(k, 0, labels, scores, gate_ev);
        goto done;
    }
    list = PyList_New(0);
    if (list == NULL)
        goto done;
    for (int32_t i = 0; i < k->n_types; i++) {
        double total = 0.0;
        int tense = TENSE_NONE;
        Py_ssize_t from = ev.n;
        int r = score_type(&d, &k->types[i], &chits, &ev, &total, &tense);
        if (r < 0)
            goto done;
        if (r == 0)
            continue;
        double score = round3(total < 1.0 ? total : 1.0);
        PyObject *score_obj = PyFloat_FromDouble(score);
        if (score_obj == NULL ||
            PyDict_SetItem(scores, PyTuple_GET_ITEM(k->type_ids, i), score_obj) < 0) {
            Py_XDECREF(score_obj);
            goto done;
        }
        Py_DECREF(score_obj);
        if (score >= k->thresholds[i]) {
            PyObject *item = label(&d, i, score, tense, ev.v + from, ev.n - from);
            if (item == NULL || PyList_Append(list, item) < 0) {
                Py_XDECREF(item);
                goto done;
            }
            Py_DECREF(item);
        }
    }
    labels = PyList_AsTuple(list);
    if (labels == NULL)
        goto done;
    result = answer(k, PyTuple_GET_SIZE(labels) > 0, labels, scores, gate_ev);
done:
    Py_XDECREF(gate_ev);
    Py_XDECREF(labels);
    Py_XDECREF(scores);
    Py_XDECREF(list);
    if (d.regex != NULL)
        for (int32_t i = 0; i < k->n_clues; i++)
            Py_XDECREF(d.regex[i]);
    free(d.regex);
    free(sides);
    free(hits.v);
    free(wide_hits.v);
    free(tail_a.v);
    free(tail_w.v);
    free(chits.v);
    free(ev.v);
    free(d.goff);
    free(d.gpos);
    free(d.gtid);
    free(d.sent);
    free(d.tense);
    free(d.wc);
    free(d.tids.v);
    Py_XDECREF(d.low);
    Py_XDECREF(norm);
    Py_XDECREF(low_obj);
    PyMem_Free(low);
    return result;
}


static PyObject *clean_str(PyObject *text);
static PyObject *prepare_str(PyObject *text);
static int prepare_into(PyObject *text, Py_UCS4 **out_p, Py_ssize_t *used, Py_ssize_t *cap_p);

/* Per-character tables for the BMP, set once by set_tables() (kernel.py computes them
 * from unicodedata): how NFKC treats a character on its own when nothing around it can
 * combine with it, and its lower case. */
enum { NF_OTHER = 0, NF_KEEP = 1, NF_MAP = 2 };
static uint8_t *nf_flags;     /* 65536 */
static Py_UCS4 *nf_map_cp;    /* sorted code points with NF_MAP */
static int32_t *nf_map_off;   /* their NFKC text: nf_pool[off[i] .. off[i + 1]) */
static Py_UCS4 *nf_pool;
static int32_t nf_map_n;
/* what prepare() does with a character: NFKC and clean() in one table */
enum { ACT_KEEP = 0, ACT_SPACE = 1, ACT_DROP = 2, ACT_REPLACE = 3, ACT_MAP = 4, ACT_OTHER = 5 };
static uint8_t *act_table; /* 65536 */
static Py_UCS4 clean_action(Py_UCS4 c);

static PyObject *set_tables(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer flags, lower;
    PyObject *mapped;
    if (!PyArg_ParseTuple(args, "y*O!y*", &flags, &PyDict_Type, &mapped, &lower))
        return NULL;
    PyObject *result = NULL;
    if (act_table != NULL) { /* set once: a classification never sees them change */
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (flags.len != 65536 || lower.len != 65536 * 2) {
        PyErr_SetString(PyExc_ValueError, "tables must cover the BMP");
        goto done;
    }
    Py_ssize_t n = PyDict_Size(mapped), pos = 0, total = 0;
    PyObject *key, *value;
    while (PyDict_Next(mapped, &pos, &key, &value)) {
        if (!PyUnicode_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "mapped values must be str");
            goto done;
        }
        total += PyUnicode_GET_LENGTH(value);
    }
    uint8_t *f = malloc(65536);
    uint16_t *l = malloc(65536 * 2);
    Py_UCS4 *cps = malloc(((size_t)n + 1) * sizeof(Py_UCS4));
    int32_t *off = malloc(((size_t)n + 2) * sizeof(int32_t));
    Py_UCS4 *pool = malloc(((size_t)total + 1) * sizeof(Py_UCS4));
    if (!f || !l || !cps || !off || !pool) {
        free(f), free(l), free(cps), free(off), free(pool);
        PyErr_NoMemory();
        goto done;
    }
    memcpy(f, flags.buf, 65536);
    memcpy(l, lower.buf, 65536 * 2);
    /* mapped characters in code point order */
    Py_ssize_t m = 0;
    for (Py_UCS4 c = 0; c < 0x10000; c++) {
        if (f[c] != NF_MAP)
            continue;
        PyObject *k = PyLong_FromUnsignedLong(c);
        PyObject *v = k ? PyDict_GetItemWithError(mapped, k) : NULL;
        Py_XDECREF(k);
        if (v == NULL || m >= n) {
            f[c] = NF_OTHER; /* no mapping given: let unicodedata decide */
            if (PyErr_Occurred())
                PyErr_Clear();
            continue;
        }
        cps[m++] = c;
    }
    int32_t at = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *k = PyLong_FromUnsignedLong(cps[i]);
        PyObject *v = k ? PyDict_GetItemWithError(mapped, k) : NULL;
        Py_XDECREF(k);
        off[i] = at;
        if (v == NULL)
            continue;
        for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(v); j++)
            pool[at++] = PyUnicode_READ_CHAR(v, j);
    }
    off[m] = at;
    uint8_t *act = malloc(65536);
    if (act == NULL) {
        free(f), free(l), free(cps), free(off), free(pool);
        PyErr_NoMemory();
        goto done;
    }
    for (Py_UCS4 c = 0; c < 0x10000; c++) {
        if (f[c] == NF_MAP) {
            act[c] = ACT_MAP;
        } else if (f[c] != NF_KEEP) {
            act[c] = ACT_OTHER;
        } else {
            Py_UCS4 a = clean_action(c);
            act[c] = a == 0 ? ACT_KEEP : a == 1 ? ACT_SPACE : a == 2 ? ACT_DROP : ACT_REPLACE;
        }
    }
    free(nf_flags), free(lower_table), free(nf_map_cp), free(nf_map_off), free(nf_pool);
    free(act_table);
    act_table = act;
    nf_flags = f;
    lower_table = l;
    nf_map_cp = cps;
    nf_map_off = off;
    nf_pool = pool;
    nf_map_n = (int32_t)m;
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&flags);
    PyBuffer_Release(&lower);
    return result;
}

/* NFKC of the text from the tables, or None when it has a character they cannot
 * settle (outside the BMP, combining, or able to combine): the caller asks unicodedata. */
static PyObject *nfkc(PyObject *module, PyObject *text) {
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "nfkc() needs a str");
        return NULL;
    }
    if (PyUnicode_IS_ASCII(text))
        return Py_NewRef(text);
    if (nf_flags == NULL || PyUnicode_KIND(text) == PyUnicode_4BYTE_KIND)
        Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), extra = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int changed = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint8_t f = nf_flags[c];
        if (f == NF_KEEP)
            continue;
        if (f == NF_OTHER)
            Py_RETURN_NONE;
        changed = 1;
        extra += 8;
    }
    if (!changed)
        return Py_NewRef(text);
    Py_UCS4 *out = PyMem_Malloc(((size_t)n + (size_t)extra + 1) * sizeof(Py_UCS4));
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (nf_flags[c] == NF_KEEP) {
            out[m++] = c;
            continue;
        }
        int32_t lo = 0, hi = nf_map_n;
        while (lo < hi) {
            int32_t mid = lo + (hi - lo) / 2;
            if (nf_map_cp[mid] < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo >= nf_map_n || nf_map_cp[lo] != c || nf_map_off[lo + 1] - nf_map_off[lo] > 8) {
            PyMem_Free(out);
            Py_RETURN_NONE;
        }
        for (int32_t j = nf_map_off[lo]; j < nf_map_off[lo + 1]; j++)
            out[m++] = nf_pool[j];
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m);
    PyMem_Free(out);
    return result;
}

/* classify(title, text, regex) -> Classification
 *
 * prepare() of title and text joined by a newline is the text of the snippets;
 * matching runs on its lower-cased form. */
static PyObject *kernel_classify(Kernel *k, PyObject *args) {
    PyObject *title, *text, *regex_fn;
    if (!PyArg_ParseTuple(args, "UUO", &title, &text, &regex_fn))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *buf = NULL;
    Py_ssize_t n = 0, cap = 0;
    if (prepare_into(title, &buf, &n, &cap) < 0)
        goto done;
    Py_ssize_t end = n;
    buf[n++] = '\n'; /* prepare_into leaves room for one more */
    if (prepare_into(text, &buf, &n, &cap) < 0)
        goto done;
    result = classify_text(k, buf, n, end, PyUnicode_IS_ASCII(title) && PyUnicode_IS_ASCII(text),
                           regex_fn);
done:
    PyMem_Free(buf);
    return result;
}

/* ------------------------------------------------------------------ clean() */

/* text.normalize() after NFKC: middle dots and invisible characters dropped, dashes
 * and curly quotes unified, whitespace runs made one space, ends stripped. */
enum { KEEP = 0, SPACE = 1, DROP = 2 };

/* what clean() does with a character: KEEP, SPACE, DROP, or the character it becomes */
static inline Py_UCS4 clean_action(Py_UCS4 c) {
    if (c < 128) {
        if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F))
            return SPACE;
        return c == '`' ? '\'' : KEEP;
    }
    switch (c) {
    case 0x00B7: case 0x3186: case 0x30FB: case 0xFF65: case 0x00AD: case 0x200B:
    case 0x200C: case 0xFEFF:
        return DROP;
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212:
        return '-';
    case 0x2018: case 0x2019: case 0x00B4:
        return '\'';
    case 0x201C: case 0x201D: case 0x201E:
        return '"';
    default:
        return Py_UNICODE_ISSPACE(c) ? SPACE : KEEP;
    }
}

/* text.normalize() after NFKC: middle dots and invisible characters dropped, dashes
 * and curly quotes unified, whitespace runs made one space, ends stripped. */
static PyObject *clean(PyObject *module, PyObject *text) {
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "clean() needs a str");
        return NULL;
    }
    return clean_str(text);
}

#define CLEAN_LOOP(T)                                                                              \
    do {                                                                                           \
        const T *src = (const T *)data;                                                            \
        T *dst = (T *)out;                                                                         \
        for (Py_ssize_t i = 0; i < n; i++) {                                                       \
            Py_UCS4 c = src[i];                                                                    \
            Py_UCS4 action = ((c > ' ' && c < 127 && c != '`') ||                                 \
                              (c >= 0x3040 && c <= 0xD7A3 && c != 0x3186 && c != 0x30FB))         \
                                 ? KEEP                                                            \
                                 : clean_action(c);                                                \
            if (action == SPACE) {                                                                 \
                pending_space = m > 0;                                                             \
                continue;                                                                          \
            }                                                                                      \
            if (action == DROP)                                                                    \
                continue;                                                                          \
            if (action != KEEP)                                                                    \
                c = action;                                                                        \
            if (pending_space) {                                                                   \
                dst[m++] = ' ';                                                                    \
                pending_space = 0;                                                                 \
            }                                                                                      \
            dst[m++] = (T)c;                                                                       \
        }                                                                                          \
    } while (0)

static PyObject *clean_str(PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* the result is never wider than the text: build it in the text's kind */
    void *out = PyMem_Malloc(((size_t)n + 1) * (size_t)kind);
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t m = 0;
    int pending_space = 0;
    if (kind == PyUnicode_1BYTE_KIND)
        CLEAN_LOOP(Py_UCS1);
    else if (kind == PyUnicode_2BYTE_KIND)
        CLEAN_LOOP(Py_UCS2);
    else
        CLEAN_LOOP(Py_UCS4);
    PyObject *result = PyUnicode_FromKindAndData(kind, out, m);
    PyMem_Free(out);
    return result;
}

/* unicodedata.normalize("NFKC", text) */
static PyObject *nfkc_slow(PyObject *text) {
    static PyObject *normalize = NULL;
    if (normalize == NULL) {
        PyObject *module = PyImport_ImportModule("unicodedata");
        if (module == NULL)
            return NULL;
        normalize = PyObject_GetAttrString(module, "normalize");
        Py_DECREF(module);
        if (normalize == NULL)
            return NULL;
    }
    return PyObject_CallFunction(normalize, "sO", "NFKC", text);
}

static int grow(Py_UCS4 **out, Py_ssize_t *cap, Py_ssize_t need) {
    if (need <= *cap)
        return 0;
    Py_ssize_t size = need * 2;
    Py_UCS4 *bigger = PyMem_Realloc(*out, (size_t)size * sizeof(Py_UCS4));
    if (bigger == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *out = bigger;
    *cap = size;
    return 0;
}

/* one character of NFKC output through clean() */
#define PREP_PUT(ch)                                                                               \
    do {                                                                                           \
        Py_UCS4 _c = (ch), _a = clean_action(_c);                                                  \
        if (_a == SPACE) {                                                                         \
            pending_space = m > 0;                                                                 \
        } else if (_a != DROP) {                                                                   \
            if (pending_space) {                                                                   \
                out[m++] = ' ';                                                                    \
                pending_space = 0;                                                                 \
            }                                                                                      \
            out[m++] = _a == KEEP ? _c : _a;                                                       \
        }                                                                                          \
    } while (0)

#define PREP_LOOP(T)                                                                               \
    do {                                                                                           \
        const T *src = (const T *)PyUnicode_DATA(text);                                            \
        for (Py_ssize_t i = 0; i < n; i++) {                                                       \
            Py_UCS4 c = src[i];                                                                    \
            uint8_t a = act_table[c];                                                              \
            if (a == ACT_KEEP) {                                                                   \
                if (pending_space) {                                                               \
                    out[m++] = ' ';                                                                \
                    pending_space = 0;                                                             \
                }                                                                                  \
                out[m++] = c;                                                                      \
            } else if (a == ACT_SPACE) {                                                           \
                pending_space = m > 0;                                                             \
            } else if (a == ACT_DROP) {                                                            \
                continue;                                                                          \
            } else if (a == ACT_REPLACE) {                                                         \
                PREP_PUT(c);                                                                       \
            } else if (a == ACT_MAP) {                                                             \
                int32_t lo = 0, hi = nf_map_n;                                                     \
                while (lo < hi) {                                                                  \
                    int32_t mid = lo + (hi - lo) / 2;                                              \
                    if (nf_map_cp[mid] < c)                                                        \
                        lo = mid + 1;                                                              \
                    else                                                                           \
                        hi = mid;                                                                  \
                }                                                                                  \
                if (lo >= nf_map_n || nf_map_cp[lo] != c)                                          \
                    goto slow;                                                                     \
                int32_t from = nf_map_off[lo], to = nf_map_off[lo + 1];                            \
                if (grow(&out, &cap, m + (to - from) * 2 + 2 + (n - i)) < 0) {                     \
                    *out_p = out;                                                                  \
                    return -1;                                                                     \
                }                                                                                  \
                for (int32_t j = from; j < to; j++)                                                \
                    PREP_PUT(nf_pool[j]);                                                          \
            } else {                                                                               \
                goto slow;                                                                         \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Append clean(NFKC(text)) to out[*used..] (growing it): one pass over the text when
 * the tables settle every character, else unicodedata normalises and clean() follows. */
/* Is an ASCII text its own prepare(): NFKC keeps ASCII, and clean() changes nothing
 * when no character is a control character or a backquote and no space starts, ends
 * or doubles. (Written as one pass the compiler vectorises.) */
static int ascii_clean(const Py_UCS1 *restrict src, Py_ssize_t n) {
    if (n == 0)
        return 1;
    if (src[0] <= ' ' || src[n - 1] <= ' ' || src[0] == '`')
        return 0;
    unsigned bad = 0;
    for (Py_ssize_t i = 1; i < n; i++)
        bad |= (src[i] < ' ') | (src[i] == '`') | ((src[i] == ' ') & (src[i - 1] == ' '));
    return !bad;
}

static int prepare_into(PyObject *text, Py_UCS4 **out_p, Py_ssize_t *used, Py_ssize_t *cap_p) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), start = *used;
    int kind = PyUnicode_KIND(text);
    if (grow(out_p, cap_p, start + n + 64) < 0)
        return -1;
    if (PyUnicode_IS_ASCII(text) && ascii_clean(PyUnicode_1BYTE_DATA(text), n)) {
        const Py_UCS1 *restrict src = PyUnicode_1BYTE_DATA(text);
        Py_UCS4 *restrict out = *out_p + start;
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = src[i];
        *used = start + n;
        return 0;
    }
    if (act_table != NULL && kind != PyUnicode_4BYTE_KIND) {
        Py_UCS4 *out = *out_p;
        Py_ssize_t m = start, cap = *cap_p;
        int pending_space = 0;
        if (kind == PyUnicode_1BYTE_KIND)
            PREP_LOOP(Py_UCS1);
        else
            PREP_LOOP(Py_UCS2);
        *out_p = out;
        *cap_p = cap;
        *used = m;
        return 0;
    slow:
        *out_p = out;
        *cap_p = cap;
    }
    PyObject *normal = PyUnicode_IS_ASCII(text) ? Py_NewRef(text) : nfkc_slow(text);
    PyObject *clean = normal ? clean_str(normal) : NULL;
    Py_XDECREF(normal);
    if (clean == NULL)
        return -1;
    Py_ssize_t len = PyUnicode_GET_LENGTH(clean);
    int ok = grow(out_p, cap_p, start + len + 1) == 0 &&
             PyUnicode_AsUCS4(clean, *out_p + start, *cap_p - start, 0) != NULL;
    Py_DECREF(clean);
    if (!ok)
        return -1;
    *used = start + len;
    return 0;
}

static PyObject *prepare_str(PyObject *text) {
    Py_ssize_t used = 0, cap = 0;
    Py_UCS4 *out = NULL;
    PyObject *result = NULL;
    if (prepare_into(text, &out, &used, &cap) == 0)
        result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, used);
    PyMem_Free(out);
    return result;
}

static PyObject *prepare(PyObject *module, PyObject *text) {
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "prepare() needs a str");
        return NULL;
    }
    return prepare_str(text);
}

/* ------------------------------------------------------------------ module */

static PyMethodDef kernel_methods[] = {
    {"classify", (PyCFunction)kernel_classify, METH_VARARGS,
     "classify(title, text, regex) -> Classification"},
    {NULL, NULL, 0, NULL},
};

static PyObject *kernel_states(Kernel *k, void *closure) {
    (void)closure;
    return Py_BuildValue("(ii)", (int)k->ascii.n_states, (int)k->wide.n_states);
}

static PyGetSetDef kernel_getset[] = {
    {"states", (getter)kernel_states, NULL, "automaton states (ASCII, other)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject KernelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "monitor.classify._kernel.Kernel",
    .tp_basicsize = sizeof(Kernel),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Compiled rules: term automata and the scoring tables.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)kernel_init,
    .tp_dealloc = (destructor)kernel_dealloc,
    .tp_methods = kernel_methods,
    .tp_getset = kernel_getset,
};

static PyMethodDef module_methods[] = {
    {"clean", (PyCFunction)clean, METH_O, "normalize() without NFKC"},
    {"nfkc", (PyCFunction)nfkc, METH_O, "NFKC from the tables, or None"},
    {"prepare", (PyCFunction)prepare, METH_O, "clean(NFKC(text)): text.normalize()"},
    {"set_tables", (PyCFunction)set_tables, METH_VARARGS, "set_tables(nfkc_flags, mapped, lower)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_kernel", "The classifier's compiled matcher and scorer.", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernel(void) {
    init_classes();
    if (PyType_Ready(&KernelType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    Py_INCREF(&KernelType);
    if (PyModule_AddObject(m, "Kernel", (PyObject *)&KernelType) < 0) {
        Py_DECREF(&KernelType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
