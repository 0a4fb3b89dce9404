/*
 * The native shim of memprof-limits: it bridges JVMTI's SampledObjectAlloc event to one Java
 * method and raises what that method returns. It makes no decision of its own.
 *
 * Why native code at all: the exception must become pending in the allocating thread while the
 * VM is still inside the allocation, so that it arises at the allocation bytecode exactly as an
 * OutOfMemoryError would. Only a JVMTI callback runs there, and a pending exception set from a
 * Java (FFM) upcall lands inside the upcall instead.
 *
 * Why JNI Throw and not JVMTI StopThread: StopThread installs an asynchronous exception, which
 * the VM delivers at its next transition to Java - possibly the call into a <clinit> or a
 * ClassLoader that the VM makes while resolving the allocating bytecode - and it sets the
 * thread's interrupt flag. A pending exception set with Throw unwinds the allocation right where
 * it was sampled, through the paths the VM already has for OutOfMemoryError, and leaves the
 * interrupt flag alone.
 *
 * The one thing decided here: no Java upcall while the thread is inside a deoptimization. HotSpot
 * re-allocates scalar-replaced objects in the middle of deoptimizing a frame
 * (Deoptimization::realloc_objects) and may sample those allocations; Java code run from there
 * that deoptimizes in turn corrupts the outer deoptimization (a SIGSEGV in unpack_on_stack, seen
 * on JDK 25; stress/findings/README.md). HotSpot counts a thread's deoptimizations in progress
 * (JavaThread::_in_deopt_handler), and the one exported function that reads it is
 * AsyncGetCallTrace, which answers "in deopt" (-9) before anything else. Such a sample is dropped:
 * what it would have raised arises at the thread's next sample.
 *
 * The outside stop (Stopper.java) uses the functions at the end of this file from another thread:
 * SuspendThread, GetStackTrace and the method and bytecode queries it needs to inspect the
 * suspended thread, StopThread, ResumeThread. Each is one JVMTI call, and Java decides when to
 * call which; here StopThread is not a way out of the callback (see above), but an exception
 * installed in a thread that the Java side found suspended at a place where it may arise.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <jvmti.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static JavaVM *vm;
static jvmtiEnv *jvmti;
static jclass engine_class;        /* global ref to the class holding onSample */
static jmethodID on_sample;        /* static Throwable onSample(Thread, Object, Class, long) */
static int have_bytecodes;         /* can_get_bytecodes was granted */
static int have_outside_stop;      /* can_suspend and can_signal_thread were granted */

/* AsyncGetCallTrace's ABI (HotSpot's forte.cpp); only its "in deoptimization" answer is used. */
typedef struct { jint lineno; jmethodID method_id; } CallFrame;
typedef struct { JNIEnv *env_id; jint num_frames; CallFrame *frames; } CallTrace;
typedef void (*AsyncGetCallTraceFn)(CallTrace *trace, jint depth, void *ucontext);
enum { TICKS_DEOPT = -9 };
static AsyncGetCallTraceFn async_get_call_trace;   /* NULL: not exported by this JVM */
static jlong samples_dropped_in_deopt;             /* read by NativeSampler.droppedInDeoptimization */

static int in_deoptimization(JNIEnv *jni) {
    if (async_get_call_trace == NULL) return 0;
    CallFrame frame;
    CallTrace trace = { jni, 0, &frame };
    /* No ucontext: the thread is in native code (the event's transition), so it walks from its
       last Java frame, and only when some agent enabled ClassLoad events; else it returns -1
       right after the deoptimization check. */
    async_get_call_trace(&trace, 1, NULL);
    return trace.num_frames == TICKS_DEOPT;
}

/* Finds AsyncGetCallTrace in the library that holds this JVM's JNI functions (libjvm). */
static AsyncGetCallTraceFn find_async_get_call_trace(JNIEnv *jni) {
    Dl_info info;
    void *fn = NULL;
    if (dladdr((void *) (*jni)->GetVersion, &info) && info.dli_fname != NULL) {
        void *jvm_library = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (jvm_library != NULL) {
            fn = dlsym(jvm_library, "AsyncGetCallTrace");
            dlclose(jvm_library);              /* NOLOAD took a reference; libjvm stays */
        }
    }
    if (fn == NULL) fn = dlsym(RTLD_DEFAULT, "AsyncGetCallTrace");
    return (AsyncGetCallTraceFn) fn;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *jvm, void *reserved) {
    (void) reserved;
    vm = jvm;
    return JNI_VERSION_10;
}

static void JNICALL sampled_object_alloc(jvmtiEnv *env, JNIEnv *jni, jthread thread,
                                         jobject object, jclass klass, jlong size) {
    (void) env;
    /* HotSpot does not sample allocations made inside this callback, so no re-entry guard. */
    if (in_deoptimization(jni)) {
        __atomic_fetch_add(&samples_dropped_in_deopt, 1, __ATOMIC_RELAXED);
        return;
    }
    jthrowable interrupt = (jthrowable) (*jni)->CallStaticObjectMethod(
        jni, engine_class, on_sample, thread, object, klass, size);
    if ((*jni)->ExceptionCheck(jni)) {
        /* onSample never throws by design; if the VM threw inside it (StackOverflowError),
           let that one surface at the allocation like any other. */
        return;
    }
    if (interrupt != NULL) {
        (*jni)->Throw(jni, interrupt);
    }
}

static jstring fail(JNIEnv *jni, const char *what, jvmtiError err) {
    char buf[256];
    char *name = NULL;
    if (jvmti != NULL && (*jvmti)->GetErrorName(jvmti, err, &name) == JVMTI_ERROR_NONE) {
        snprintf(buf, sizeof buf, "%s failed: %s (JVMTI error %d)", what, name, (int) err);
        (*jvmti)->Deallocate(jvmti, (unsigned char *) name);
    } else {
        snprintf(buf, sizeof buf, "%s failed: JVMTI error %d", what, (int) err);
    }
    if (jvmti != NULL) {
        (*jvmti)->DisposeEnvironment(jvmti);   /* nothing half-started */
        jvmti = NULL;
    }
    if (engine_class != NULL) {
        (*jni)->DeleteGlobalRef(jni, engine_class);
        engine_class = NULL;
    }
    return (*jni)->NewStringUTF(jni, buf);
}

/* Returns null on success, or a sentence saying what failed. */
JNIEXPORT jstring JNICALL
Java_org_memproflimits_internal_NativeSampler_start(JNIEnv *jni, jclass self, jclass engine,
                                                    jint interval) {
    (void) self;
    if (jvmti != NULL) {
        return (*jni)->NewStringUTF(jni, "the native sampler is already started");
    }
    jint rc = (*vm)->GetEnv(vm, (void **) &jvmti, JVMTI_VERSION_11);
    if (rc != JNI_OK || jvmti == NULL) {
        jvmti = NULL;
        return (*jni)->NewStringUTF(jni,
            "this JVM offers no JVMTI 11 environment (GetEnv failed); a HotSpot JDK 17 or newer is needed");
    }
    jvmtiCapabilities potential, wanted;
    jvmtiError err = (*jvmti)->GetPotentialCapabilities(jvmti, &potential);
    if (err != JVMTI_ERROR_NONE) return fail(jni, "GetPotentialCapabilities", err);
    if (!potential.can_generate_sampled_object_alloc_events) {
        (*jvmti)->DisposeEnvironment(jvmti);
        jvmti = NULL;
        return (*jni)->NewStringUTF(jni,
            "this JVM cannot generate SampledObjectAlloc events (JEP 331 heap sampling is missing)");
    }
    memset(&wanted, 0, sizeof wanted);
    wanted.can_generate_sampled_object_alloc_events = 1;
    err = (*jvmti)->AddCapabilities(jvmti, &wanted);
    if (err != JVMTI_ERROR_NONE) return fail(jni, "AddCapabilities(can_generate_sampled_object_alloc_events)", err);
    /* Optional: lets Java see the allocating bytecode (NativeSampler.allocatingOpcode). */
    if (potential.can_get_bytecodes) {
        memset(&wanted, 0, sizeof wanted);
        wanted.can_get_bytecodes = 1;
        have_bytecodes = (*jvmti)->AddCapabilities(jvmti, &wanted) == JVMTI_ERROR_NONE;
    }
    /* Optional: line numbers and source files, for the stack trace of an outside stop. */
    memset(&wanted, 0, sizeof wanted);
    wanted.can_get_line_numbers = potential.can_get_line_numbers;
    wanted.can_get_source_file_name = potential.can_get_source_file_name;
    (void) (*jvmti)->AddCapabilities(jvmti, &wanted);
    /* Optional: suspending and stopping other threads, for the outside stop (Stopper.java). */
    if (potential.can_suspend && potential.can_signal_thread) {
        memset(&wanted, 0, sizeof wanted);
        wanted.can_suspend = 1;
        wanted.can_signal_thread = 1;
        have_outside_stop = (*jvmti)->AddCapabilities(jvmti, &wanted) == JVMTI_ERROR_NONE;
    }
    /* Optional: JVMTI 21's can_support_virtual_threads, so that the frame functions above also
       work on virtual threads. jvmti.h of JDK 17 does not name it; it is the bit right after
       can_generate_sampled_object_alloc_events, found here by setting that one. */
    {
        jvmtiCapabilities probe;
        unsigned char *p = (unsigned char *) &probe;
        size_t bit = 0;
        memset(&probe, 0, sizeof probe);
        probe.can_generate_sampled_object_alloc_events = 1;
        while (bit < 8 * sizeof probe && !(p[bit / 8] & (1u << (bit % 8)))) bit++;
        bit++;
        if (bit < 8 * sizeof probe && (((unsigned char *) &potential)[bit / 8] & (1u << (bit % 8)))) {
            memset(&wanted, 0, sizeof wanted);
            ((unsigned char *) &wanted)[bit / 8] |= (unsigned char) (1u << (bit % 8));
            (*jvmti)->AddCapabilities(jvmti, &wanted);
        }
    }

    async_get_call_trace = find_async_get_call_trace(jni);
    engine_class = (jclass) (*jni)->NewGlobalRef(jni, engine);
    on_sample = (*jni)->GetStaticMethodID(jni, engine_class, "onSample",
        "(Ljava/lang/Thread;Ljava/lang/Object;Ljava/lang/Class;J)Ljava/lang/Throwable;");
    if (on_sample == NULL) {
        (*jni)->ExceptionClear(jni);
        return fail(jni, "looking up onSample", JVMTI_ERROR_INTERNAL);
    }
    jvmtiEventCallbacks callbacks;
    memset(&callbacks, 0, sizeof callbacks);
    callbacks.SampledObjectAlloc = &sampled_object_alloc;
    err = (*jvmti)->SetEventCallbacks(jvmti, &callbacks, (jint) sizeof callbacks);
    if (err != JVMTI_ERROR_NONE) return fail(jni, "SetEventCallbacks", err);
    err = (*jvmti)->SetHeapSamplingInterval(jvmti, interval);
    if (err != JVMTI_ERROR_NONE) return fail(jni, "SetHeapSamplingInterval", err);
    err = (*jvmti)->SetEventNotificationMode(jvmti, JVMTI_ENABLE, JVMTI_EVENT_SAMPLED_OBJECT_ALLOC, NULL);
    if (err != JVMTI_ERROR_NONE) return fail(jni, "SetEventNotificationMode(SampledObjectAlloc)", err);
    return NULL;
}

/*
 * The opcode of the bytecode that the allocating frame is executing, read from inside the sample
 * callback: the frame just below onSample on the current thread's stack. Returns -1 for a native
 * frame, -2 if it cannot be told (no can_get_bytecodes, or a JVMTI error).
 */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_allocatingOpcode(JNIEnv *jni, jclass self) {
    (void) jni; (void) self;
    if (jvmti == NULL || !have_bytecodes) return -2;
    jmethodID method;
    jlocation location;
    for (jint depth = 0; depth < 64; depth++) {
        if ((*jvmti)->GetFrameLocation(jvmti, NULL, depth, &method, &location) != JVMTI_ERROR_NONE) {
            return -2;
        }
        if (method != on_sample) continue;
        if ((*jvmti)->GetFrameLocation(jvmti, NULL, depth + 1, &method, &location) != JVMTI_ERROR_NONE) {
            return -2;
        }
        if (location < 0) return -1;
        jint count;
        unsigned char *code;
        if ((*jvmti)->GetBytecodes(jvmti, method, &count, &code) != JVMTI_ERROR_NONE) return -2;
        jint opcode = location < count ? code[location] : -2;
        (*jvmti)->Deallocate(jvmti, code);
        return opcode;
    }
    return -2;
}

/* Returns 0 on success, or the JVMTI error code. */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_setInterval(JNIEnv *jni, jclass self, jint interval) {
    (void) jni; (void) self;
    if (jvmti == NULL) return JVMTI_ERROR_WRONG_PHASE;
    return (jint) (*jvmti)->SetHeapSamplingInterval(jvmti, interval);
}

/* Whether samples taken inside a deoptimization are recognized (AsyncGetCallTrace found). */
JNIEXPORT jboolean JNICALL
Java_org_memproflimits_internal_NativeSampler_guardsDeoptimization(JNIEnv *jni, jclass self) {
    (void) jni; (void) self;
    return async_get_call_trace != NULL;
}

/* Samples dropped because the thread was inside a deoptimization, since start. */
JNIEXPORT jlong JNICALL
Java_org_memproflimits_internal_NativeSampler_droppedInDeoptimization(JNIEnv *jni, jclass self) {
    (void) jni; (void) self;
    return __atomic_load_n(&samples_dropped_in_deopt, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- the outside stop's bridge */

/* Whether the outside stop can run: can_suspend and can_signal_thread were granted. */
JNIEXPORT jboolean JNICALL
Java_org_memproflimits_internal_NativeSampler_canStopFromOutside(JNIEnv *jni, jclass self) {
    (void) jni; (void) self;
    return jvmti != NULL && have_outside_stop;
}

/* JVMTI SuspendThread; returns 0 or the JVMTI error. */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_suspend(JNIEnv *jni, jclass self, jthread thread) {
    (void) jni; (void) self;
    if (jvmti == NULL || !have_outside_stop) return JVMTI_ERROR_MUST_POSSESS_CAPABILITY;
    return (jint) (*jvmti)->SuspendThread(jvmti, thread);
}

/* JVMTI GetThreadState; returns the state bits, or -1 on an error. */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_threadState(JNIEnv *jni, jclass self, jthread thread) {
    (void) jni; (void) self;
    jint state;
    if (jvmti == NULL || (*jvmti)->GetThreadState(jvmti, thread, &state) != JVMTI_ERROR_NONE) return -1;
    return state;
}

/* JVMTI ResumeThread; returns 0 or the JVMTI error. */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_resume(JNIEnv *jni, jclass self, jthread thread) {
    (void) jni; (void) self;
    if (jvmti == NULL || !have_outside_stop) return JVMTI_ERROR_MUST_POSSESS_CAPABILITY;
    return (jint) (*jvmti)->ResumeThread(jvmti, thread);
}

/* JVMTI StopThread: installs the exception in the (suspended) thread; returns 0 or the error. */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_stop(JNIEnv *jni, jclass self, jthread thread,
                                                   jobject exception) {
    (void) jni; (void) self;
    if (jvmti == NULL || !have_outside_stop) return JVMTI_ERROR_MUST_POSSESS_CAPABILITY;
    return (jint) (*jvmti)->StopThread(jvmti, thread, exception);
}

/*
 * The thread's frames, innermost first: their jmethodIDs into methods and their bytecode indexes
 * into locations (-1 for a native method). Returns the number of frames the thread has, which may
 * exceed the arrays' length (then only that many were written: call again with larger arrays),
 * or minus the JVMTI error.
 */
JNIEXPORT jint JNICALL
Java_org_memproflimits_internal_NativeSampler_stackTrace(JNIEnv *jni, jclass self, jthread thread,
                                                         jlongArray methods, jintArray locations) {
    (void) self;
    if (jvmti == NULL) return -JVMTI_ERROR_WRONG_PHASE;
    jint count;
    jvmtiError err = (*jvmti)->GetFrameCount(jvmti, thread, &count);
    if (err != JVMTI_ERROR_NONE) return -(jint) err;
    jint room = (*jni)->GetArrayLength(jni, methods);
    if (count > room) return count;
    jvmtiFrameInfo *frames;
    err = (*jvmti)->Allocate(jvmti, (jlong) (count > 0 ? count : 1) * (jlong) sizeof *frames,
                             (unsigned char **) &frames);
    if (err != JVMTI_ERROR_NONE) return -(jint) err;
    jint got = 0;
    err = (*jvmti)->GetStackTrace(jvmti, thread, 0, count, frames, &got);
    if (err == JVMTI_ERROR_NONE) {
        for (jint i = 0; i < got; i++) {
            jlong m = (jlong) (intptr_t) frames[i].method;
            jint l = (jint) frames[i].location;
            (*jni)->SetLongArrayRegion(jni, methods, i, 1, &m);
            (*jni)->SetIntArrayRegion(jni, locations, i, 1, &l);
        }
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *) frames);
    return err == JVMTI_ERROR_NONE ? got : -(jint) err;
}

/* The class declaring a method of stackTrace, or null. */
JNIEXPORT jclass JNICALL
Java_org_memproflimits_internal_NativeSampler_declaringClass(JNIEnv *jni, jclass self, jlong method) {
    (void) jni; (void) self;
    jclass klass = NULL;
    if (jvmti == NULL
        || (*jvmti)->GetMethodDeclaringClass(jvmti, (jmethodID) (intptr_t) method, &klass) != JVMTI_ERROR_NONE) {
        return NULL;
    }
    return klass;
}

/* The name of a method of stackTrace, or null. */
JNIEXPORT jstring JNICALL
Java_org_memproflimits_internal_NativeSampler_methodName(JNIEnv *jni, jclass self, jlong method) {
    (void) self;
    char *name = NULL;
    if (jvmti == NULL
        || (*jvmti)->GetMethodName(jvmti, (jmethodID) (intptr_t) method, &name, NULL, NULL) != JVMTI_ERROR_NONE) {
        return NULL;
    }
    jstring s = (*jni)->NewStringUTF(jni, name);
    (*jvmti)->Deallocate(jvmti, (unsigned char *) name);
    return s;
}

/* The bytecodes of a method of stackTrace, or null (native, or no can_get_bytecodes). */
JNIEXPORT jbyteArray JNICALL
Java_org_memproflimits_internal_NativeSampler_bytecodes(JNIEnv *jni, jclass self, jlong method) {
    (void) self;
    jint count;
    unsigned char *code;
    if (jvmti == NULL || !have_bytecodes
        || (*jvmti)->GetBytecodes(jvmti, (jmethodID) (intptr_t) method, &count, &code) != JVMTI_ERROR_NONE) {
        return NULL;
    }
    jbyteArray a = (*jni)->NewByteArray(jni, count);
    if (a != NULL) (*jni)->SetByteArrayRegion(jni, a, 0, count, (const jbyte *) code);
    (*jvmti)->Deallocate(jvmti, code);
    return a;
}

/*
 * A method's line number table as pairs (start bytecode index, line), or null if it has none.
 */
JNIEXPORT jintArray JNICALL
Java_org_memproflimits_internal_NativeSampler_lineNumbers(JNIEnv *jni, jclass self, jlong method) {
    (void) self;
    jint count;
    jvmtiLineNumberEntry *table;
    if (jvmti == NULL
        || (*jvmti)->GetLineNumberTable(jvmti, (jmethodID) (intptr_t) method, &count, &table) != JVMTI_ERROR_NONE) {
        return NULL;
    }
    jintArray a = (*jni)->NewIntArray(jni, 2 * count);
    if (a != NULL) {
        for (jint i = 0; i < count; i++) {
            jint pair[2] = { (jint) table[i].start_location, table[i].line_number };
            (*jni)->SetIntArrayRegion(jni, a, 2 * i, 2, pair);
        }
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *) table);
    return a;
}

/* The source file name recorded in a class, or null. */
JNIEXPORT jstring JNICALL
Java_org_memproflimits_internal_NativeSampler_sourceFile(JNIEnv *jni, jclass self, jclass klass) {
    (void) self;
    char *name = NULL;
    if (jvmti == NULL || (*jvmti)->GetSourceFileName(jvmti, klass, &name) != JVMTI_ERROR_NONE) {
        return NULL;
    }
    jstring s = (*jni)->NewStringUTF(jni, name);
    (*jvmti)->Deallocate(jvmti, (unsigned char *) name);
    return s;
}
