/*
 * liblyrics_native: what the JVM cannot do for libtorch by itself (dev.lyrics.model.NativeTuning).
 *
 * Built by build.sh beside this file; the result is committed under src/main/resources so that the
 * build needs no C compiler. Linux x86-64 only; elsewhere the plugin runs without it.
 *
 * 1. mkl_serv_intel_cpu_true: libtorch's CPU build links oneMKL statically, and oneMKL runs its
 *    AVX2 matrix kernels on AMD processors even when they have AVX-512 (it asks this function whether
 *    the CPU is an Intel one before it looks at the feature bits). Once this library is in the
 *    process's global symbol scope (makeGlobal), libtorch's calls to this function land here, which
 *    answers yes for AMD as for Intel; oneMKL then picks its code path from the CPU's feature bits.
 *    Other vendors get no, as from oneMKL's own function.
 * 2. setenv: libtorch's allocator (THP_MEM_ALLOC_ENABLE) and libgomp (OMP_WAIT_POLICY) read their
 *    settings from the C environment once, when they start; the JVM has no way to set it.
 * 3. mallopt: glibc's thresholds for returning freed memory to the kernel.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <jni.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* the oldest dlopen, dlsym and dladdr (glibc 2.2.5, still in libc.so.6), so that the library loads on systems older than the build machine */
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");

/* the CPU's vendor from cpuid leaf 0 ("AuthenticAMD", "GenuineIntel", ...), empty without leaf 0 */
static void read_vendor(char vendor[13]) {
    unsigned int eax, ebx, ecx, edx;
    memset(vendor, 0, 13);
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        memcpy(vendor, &ebx, 4);
        memcpy(vendor + 4, &edx, 4);
        memcpy(vendor + 8, &ecx, 4);
    }
}

/* what mkl_serv_intel_cpu_true answers: yes for Intel and AMD, no for other vendors */
static int intel_or_amd(void) {
    char vendor[13];
    read_vendor(vendor);
    return strcmp(vendor, "GenuineIntel") == 0 || strcmp(vendor, "AuthenticAMD") == 0;
}

static long vendor_checks;

int mkl_serv_intel_cpu_true(void) {
    __atomic_fetch_add(&vendor_checks, 1, __ATOMIC_RELAXED);
    return intel_or_amd();
}

/* how many times oneMKL (or anyone) asked mkl_serv_intel_cpu_true here: more than 0 once libtorch ran a matrix product */
JNIEXPORT jlong JNICALL Java_dev_lyrics_model_NativeTuning_mklVendorChecks(JNIEnv *env, jclass cls) {
    return __atomic_load_n(&vendor_checks, __ATOMIC_RELAXED);
}

/* the name of the CPU's vendor from cpuid leaf 0 */
JNIEXPORT jstring JNICALL Java_dev_lyrics_model_NativeTuning_cpuVendor(JNIEnv *env, jclass cls) {
    char vendor[13];
    read_vendor(vendor);
    return (*env)->NewStringUTF(env, vendor);
}

/* what mkl_serv_intel_cpu_true answers here (without counting it as oneMKL's check) */
JNIEXPORT jboolean JNICALL Java_dev_lyrics_model_NativeTuning_mklSeesIntel(JNIEnv *env, jclass cls) {
    return intel_or_amd() ? JNI_TRUE : JNI_FALSE;
}

/* the JVM loads JNI libraries RTLD_LOCAL; reopening this one RTLD_GLOBAL puts its symbols before those of libraries loaded later */
JNIEXPORT jboolean JNICALL Java_dev_lyrics_model_NativeTuning_makeGlobal(JNIEnv *env, jclass cls, jstring path) {
    const char *file = (*env)->GetStringUTFChars(env, path, NULL);
    if (file == NULL) {
        return JNI_FALSE;
    }
    void *handle = dlopen(file, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
    (*env)->ReleaseStringUTFChars(env, path, file);
    /* the handle is kept: the library stays loaded for the life of the process */
    return handle != NULL ? JNI_TRUE : JNI_FALSE;
}

/* the C environment's value of name (the JVM's System.getenv is a copy made at its start), or null */
JNIEXPORT jstring JNICALL Java_dev_lyrics_model_NativeTuning_getenv(JNIEnv *env, jclass cls, jstring name) {
    const char *n = (*env)->GetStringUTFChars(env, name, NULL);
    if (n == NULL) {
        return NULL;
    }
    const char *v = getenv(n);
    (*env)->ReleaseStringUTFChars(env, name, n);
    return v == NULL ? NULL : (*env)->NewStringUTF(env, v);
}

/* the file of the library that defines symbol in the process's global scope, or null: which
   mkl_serv_intel_cpu_true a library loaded from now on will call */
JNIEXPORT jstring JNICALL Java_dev_lyrics_model_NativeTuning_globalDefinition(JNIEnv *env, jclass cls, jstring symbol) {
    const char *s = (*env)->GetStringUTFChars(env, symbol, NULL);
    if (s == NULL) {
        return NULL;
    }
    /* the main program's handle searches the global scope only (RTLD_DEFAULT, called from here, would
       also search this library's own local scope) */
    void *global = dlopen(NULL, RTLD_NOW);
    void *address = global == NULL ? NULL : dlsym(global, s);
    (*env)->ReleaseStringUTFChars(env, symbol, s);
    Dl_info info;
    if (address == NULL || !dladdr(address, &info) || info.dli_fname == NULL) {
        return NULL;
    }
    return (*env)->NewStringUTF(env, info.dli_fname);
}

/* setenv(name, value, 0): true when the variable was absent and is now set */
JNIEXPORT jboolean JNICALL Java_dev_lyrics_model_NativeTuning_setenvIfAbsent(JNIEnv *env, jclass cls, jstring name,
                                                                             jstring value) {
    const char *n = (*env)->GetStringUTFChars(env, name, NULL);
    const char *v = (*env)->GetStringUTFChars(env, value, NULL);
    jboolean set = JNI_FALSE;
    if (n != NULL && v != NULL && getenv(n) == NULL) {
        set = setenv(n, v, 0) == 0 ? JNI_TRUE : JNI_FALSE;
    }
    if (n != NULL) {
        (*env)->ReleaseStringUTFChars(env, name, n);
    }
    if (v != NULL) {
        (*env)->ReleaseStringUTFChars(env, value, v);
    }
    return set;
}

/* glibc's mallopt(M_MMAP_THRESHOLD, mmapThreshold) and mallopt(M_TRIM_THRESHOLD, trimThreshold) */
JNIEXPORT jboolean JNICALL Java_dev_lyrics_model_NativeTuning_keepFreedMemory(JNIEnv *env, jclass cls,
                                                                              jint mmapThreshold, jint trimThreshold) {
    return mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1
        ? JNI_TRUE : JNI_FALSE;
}
