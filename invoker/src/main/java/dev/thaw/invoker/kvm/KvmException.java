package dev.thaw.invoker.kvm;

/** A KVM or libc call failed. The message names the operation, the errno and the object. */
public final class KvmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KvmException(String operation, int errno, String context) {
        super(operation + " failed: " + Libc.errnoName(errno) + (context.isEmpty() ? "" : " (" + context + ")"));
    }

    KvmException(String message) {
        super(message);
    }

    /** Throws for a -1 return, with the errno of this thread's last libc call. */
    static int check(int result, String operation, String context) {
        if (result == -1) {
            throw new KvmException(operation, Libc.errno(), context);
        }
        return result;
    }
}
