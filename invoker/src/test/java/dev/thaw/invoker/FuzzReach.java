package dev.thaw.invoker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a fuzzing corpus reaches: replays every input of the directories given through
 * {@link HypercallFuzzTest#run} and counts the inputs that end in each stop, each kind of ABI
 * violation, each recv placement verdict and each output cap. Run from invoker/ after
 * {@code ./bench fuzz} (which does) with the test classes on the class path. Jazzer's coverage report counts
 * lines that end in a throw as missed even when they ran, so this is the measure of depth that
 * {@code ./bench fuzz} prints ({@code fuzz_reach_NAME=N}; 0 means the fuzzer never got there).
 */
final class FuzzReach {
    private FuzzReach() {}

    /** Name, and the text of a stop, refusal or log line that shows it was reached. */
    private static final String[][] SIGNS = {
        {"unknown_port", "unknown hypercall port"},
        {"arguments_outside_memory", "hypercall arguments: guest range"},
        {"records_outside_memory", "output records: guest range"},
        {"record_header_cut_short", "is cut short"},
        {"record_longer_than_buffer", " claims "},
        {"record_unknown_stream", "has unknown stream"},
        {"exit_bad_status", "exit hypercall with status"},
        {"exit_bad_signal", "exit hypercall with signal"},
        {"set_fs_non_canonical", "non-canonical base"},
        {"recv_not_in_memory", "is not inside its page tables and memory"},
        {"recv_on_gdt", "lies on the GDT"},
        {"recv_on_tss", "lies on the TSS"},
        {"recv_on_page_tables", "lies on the page tables"},
        {"recv_on_boot_information", "lies on the boot information"},
        {"recv_on_code", "lies on the function's code"},
        {"recv_on_read_only", "lies on read-only memory"},
        {"recv_on_unmapped", "lies on unmapped memory"},
        {"log_line_cut", "more bytes of this line dropped]"},
        {"log_lines_capped", "more log lines dropped;"},
        {"once_only_line_kept", Output.ONCE_PREFIX},
    };

    public static void main(String[] args) throws IOException {
        Map<String, Integer> reached = new LinkedHashMap<>();
        for (String s : new String[] {"waiting", "exited", "output_limit", "violated", "ran_on", "recv_accepted", "fs_base_set"}) {
            reached.put(s, 0);
        }
        for (String[] sign : SIGNS) {
            reached.put(sign[0], 0);
        }
        byte[] image = HypercallFuzzTest.image();
        List<Path> inputs = new ArrayList<>();
        for (String dir : args) {
            try (Stream<Path> files = Files.list(Path.of(dir))) {
                inputs.addAll(files.filter(Files::isRegularFile).sorted().toList());
            }
        }
        for (Path input : inputs) {
            HypercallFuzzTest.Outcome o = HypercallFuzzTest.run(FuzzedGuest.parse(Files.readAllBytes(input), image));
            List<String> texts = new ArrayList<>(o.output().logs());
            GuestRun.Stop stop = o.first() != null ? o.first() : o.second(); // where the guest ended
            String kind = switch (stop) {
                case null -> "ran_on";
                case GuestRun.Stop.Waiting w -> "waiting";
                case GuestRun.Stop.Exited e -> "exited";
                case GuestRun.Stop.OutputLimit l -> "output_limit";
                case GuestRun.Stop.Violated v -> {
                    texts.add(v.description());
                    yield "violated";
                }
                default -> stop.getClass().getSimpleName();
            };
            reached.merge(kind, 1, Integer::sum);
            o.refusal().ifPresent(texts::add);
            if (o.recv() != null && o.refusal().isEmpty()) {
                reached.merge("recv_accepted", 1, Integer::sum);
            }
            if (!o.fsBases().isEmpty()) {
                reached.merge("fs_base_set", 1, Integer::sum);
            }
            for (String[] sign : SIGNS) {
                if (texts.stream().anyMatch(t -> t.contains(sign[1]))) {
                    reached.merge(sign[0], 1, Integer::sum);
                }
            }
        }
        System.out.println("fuzz_corpus_inputs=" + inputs.size());
        reached.forEach((name, n) -> System.out.println("fuzz_reach_" + name + "=" + n));
    }
}
