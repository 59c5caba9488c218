package dev.thaw.invoker.abi;

/** The guest broke the hypercall ABI: a bad port, pointer, length or record. */
public final class AbiViolation extends Exception {
    private static final long serialVersionUID = 1L;

    public AbiViolation(String message) {
        super(message);
    }
}
