/* MinHash signatures in datasketch's ``affine32`` scheme, for ``monitor.minhash``.
 *
 * signature(hashes, a, b) -> bytes
 *
 * ``hashes``: a list of the text's shingle hashes (CRC-32, ints below 2**32); ``a`` and
 * ``b``: the permutations, NUM_PERM native-order uint32 values each (``array('I')``).
 * Each hash is mixed with the MurmurHash3 finalizer (as datasketch pre-mixes its input),
 * then permuted as ``a*h + b mod 2**32``; the signature is the minimum per permutation,
 * returned in its stored form: NUM_PERM little-endian uint32 values.
 *
 * The same arithmetic numpy did over a [permutations x shingles] array, in one pass
 * with no array at all: the process that computes signatures need not load numpy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NUM_PERM 128

static inline uint32_t mix(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

static PyObject *signature(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *hashes;
    Py_buffer a, b;
    if (!PyArg_ParseTuple(args, "O!y*y*", &PyList_Type, &hashes, &a, &b)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (a.len != NUM_PERM * 4 || b.len != NUM_PERM * 4) {
        PyErr_Format(PyExc_ValueError, "permutations: %d uint32 values each expected", NUM_PERM);
        goto done;
    }
    uint32_t pa[NUM_PERM], pb[NUM_PERM], low[NUM_PERM];
    memcpy(pa, a.buf, sizeof pa);
    memcpy(pb, b.buf, sizeof pb);
    for (int p = 0; p < NUM_PERM; p++) {
        low[p] = UINT32_MAX;
    }
    Py_ssize_t count = PyList_GET_SIZE(hashes);
    for (Py_ssize_t i = 0; i < count; i++) {
        unsigned long value = PyLong_AsUnsignedLong(PyList_GET_ITEM(hashes, i));
        if (value == (unsigned long)-1 && PyErr_Occurred()) {
            goto done;
        }
        if (value > UINT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "a shingle hash is a 32-bit value");
            goto done;
        }
        uint32_t h = mix((uint32_t)value);
        for (int p = 0; p < NUM_PERM; p++) {  /* vectorised by the compiler */
            uint32_t v = pa[p] * h + pb[p];
            low[p] = v < low[p] ? v : low[p];
        }
    }
    unsigned char out[NUM_PERM * 4];
    for (int p = 0; p < NUM_PERM; p++) {
        out[4 * p] = (unsigned char)(low[p] & 0xFF);
        out[4 * p + 1] = (unsigned char)((low[p] >> 8) & 0xFF);
        out[4 * p + 2] = (unsigned char)((low[p] >> 16) & 0xFF);
        out[4 * p + 3] = (unsigned char)(low[p] >> 24);
    }
    result = PyBytes_FromStringAndSize((const char *)out, sizeof out);
done:
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

static PyMethodDef methods[] = {
    {"signature", signature, METH_VARARGS,
     "signature(hashes, a, b) -> bytes: the MinHash signature of a list of 32-bit hashes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "monitor._minhash", "MinHash signatures (affine32).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__minhash(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "NUM_PERM", NUM_PERM) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
