package dev.thaw.registry;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script that Redis runs atomically. Sent by its SHA-1 (EVALSHA); the full text goes
 * only when the server does not know it yet (first use, restart, SCRIPT FLUSH).
 */
final class LuaScript {
    private final String source;
    private final String sha1;

    LuaScript(String source) {
        this.source = source;
        try {
            this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }

    <T> T run(RedisCommands<String, byte[]> redis, ScriptOutputType output, String[] keys, byte[]... args) {
        try {
            return redis.evalsha(sha1, output, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.eval(source, output, keys, args);
        }
    }
}
