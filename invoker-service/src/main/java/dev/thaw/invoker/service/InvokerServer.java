package dev.thaw.invoker.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.protocol.BuildCodec;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.ResultCodec;
import dev.thaw.protocol.InvokerApi;
import dev.thaw.protocol.InvokerBusyException;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The invoker's HTTP/1.1 server (keep-alive), for gateways: the API of {@link InvokerApi}.
 * Every call but health and metrics must present the cluster secret; without it the answer
 * is 401 and nothing runs. {@code GET /v1/metrics} is Prometheus's text format
 * ({@link PoolMetrics}): counts per function name, which the gateway's own metrics show too. Invocations never block the event loop: they go to the engine's runner
 * threads. Builds and registry look-ups run on a small pool of their own.
 */
public final class InvokerServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE); // as the gateway's API

    private final FunctionHost host;
    private final FunctionRegistry registry;
    private final BearerSecret secret;
    private volatile String id;
    private final EventLoopGroup boss = new NioEventLoopGroup(1);
    /**
     * One loop per CPU (at least 2), as Quarkus sizes the gateway's: the loops run short
     * functions' guests themselves ({@code FunctionHost}), so more loops than cores only take
     * turns, and fewer leave cores to the runners alone. Measured on the embedded gateway, 2
     * cores: 4 loops against 2 put the p99 at 16 connections at 6.4-8.8 ms against 3.7-5.8 ms.
     */
    private final EventLoopGroup workers = new NioEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()));
    private final ExecutorService blocking = Executors.newFixedThreadPool(4,
            r -> Thread.ofPlatform().name("thaw-invoker-io").daemon().unstarted(r));
    /** Versions are immutable: once found, they are cached for good. */
    private final Map<String, FunctionVersion> versions = new ConcurrentHashMap<>();
    private final CollectorRegistry metrics = new CollectorRegistry();
    private final Channel channel;

    public InvokerServer(FunctionHost host, FunctionRegistry registry, BearerSecret secret, String bind, int port,
                         int maxBodyBytes) throws InterruptedException {
        this.host = host;
        this.registry = registry;
        this.secret = secret;
        this.metrics.register(new PoolMetrics(host));
        this.channel = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(maxBodyBytes), new Handler());
                    }
                })
                .bind(bind, port).sync().channel();
        this.id = bind + ":" + port();
    }

    /** How this invoker names itself (bind address and port, unless set). */
    public String id() {
        return id;
    }

    public void id(String id) {
        this.id = id;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            String[] path = request.uri().split("\\?", 2)[0].split("/");
            HttpMethod method = request.method();
            boolean health = method.equals(HttpMethod.GET) && path.length == 3 && path[2].equals("health");
            boolean scrape = method.equals(HttpMethod.GET) && path.length == 3 && path[2].equals("metrics");
            if (!health && !scrape && !secret.matches(request.headers().get(InvokerApi.AUTHORIZATION))) {
                error(ctx, keepAlive, HttpResponseStatus.UNAUTHORIZED, "missing or invalid cluster secret");
                return;
            }
            byte[] body = ByteBufUtil.getBytes(request.content());
            if (method.equals(HttpMethod.POST) && path.length == 5 && path[2].equals("invoke")) {
                invoke(ctx, keepAlive, path[3], path[4], body, deadline(request));
            } else if (method.equals(HttpMethod.POST) && path.length == 4 && path[2].equals("build")) {
                blocking.execute(() -> build(ctx, keepAlive, path[3], body));
            } else if (method.equals(HttpMethod.DELETE) && path.length == 4 && path[2].equals("functions")) {
                host.forget(path[3]);
                versions.keySet().removeIf(k -> k.startsWith(path[3] + "@"));
                json(ctx, keepAlive, HttpResponseStatus.OK, JSON.createObjectNode().put("forgotten", path[3]));
            } else if (scrape) {
                blocking.execute(() -> scrape(ctx, keepAlive));
            } else if (health) {
                json(ctx, keepAlive, HttpResponseStatus.OK, JSON.createObjectNode().put("id", id)
                        .put("capacity", host.capacity()).put("in_flight", host.inFlight()));
            } else {
                error(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "no such endpoint: " + method + " " + request.uri());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a broken connection: the gateway retries elsewhere
        }
    }

    /** The invocation's deadline from the gateway's header (time left, in ms); none: its whole timeout. */
    private static long deadline(FullHttpRequest request) {
        String ms = request.headers().get(InvokerApi.DEADLINE_MS);
        long left = FunctionHost.BEYOND_ANY_TIMEOUT;
        if (ms != null) {
            try {
                left = Math.clamp(Long.parseLong(ms.strip()), 0, FunctionHost.BEYOND_ANY_TIMEOUT / 1_000_000) * 1_000_000;
            } catch (NumberFormatException e) {
                // no usable deadline: the function's own timeout applies
            }
        }
        return System.nanoTime() + left;
    }

    private void invoke(ChannelHandlerContext ctx, boolean keepAlive, String name, String versionText, byte[] input,
                        long deadline) {
        int version;
        try {
            version = Integer.parseInt(versionText);
        } catch (NumberFormatException e) {
            error(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, "bad version '" + versionText + "'");
            return;
        }
        FunctionVersion cached = versions.get(name + "@" + version);
        if (cached != null) {
            run(ctx, keepAlive, cached, input, deadline);
            return;
        }
        blocking.execute(() -> {
            Optional<FunctionVersion> found;
            try {
                found = registry.version(name, version);
            } catch (RuntimeException e) {
                error(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, "registry: " + e.getMessage());
                return;
            }
            if (found.isEmpty()) {
                error(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "function " + name + "@" + version + " not found");
                return;
            }
            versions.put(name + "@" + version, found.get());
            run(ctx, keepAlive, found.get(), input, deadline);
        });
    }

    private void run(ChannelHandlerContext ctx, boolean keepAlive, FunctionVersion version, byte[] input, long deadline) {
        host.invoke(version, input, deadline).whenComplete((result, failure) -> {
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                if (cause instanceof InvokerBusyException) {
                    error(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, cause.getMessage());
                    return;
                }
                error(ctx, keepAlive, HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(cause.getMessage()));
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(ResultCodec.encode(result)));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, ResultCodec.CONTENT_TYPE);
            send(ctx, keepAlive, response);
        });
    }

    private void scrape(ChannelHandlerContext ctx, boolean keepAlive) {
        StringWriter text = new StringWriter();
        try {
            TextFormat.write004(text, metrics.metricFamilySamples());
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not fail
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(text.toString().getBytes(StandardCharsets.UTF_8)));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, TextFormat.CONTENT_TYPE_004);
        send(ctx, keepAlive, response);
    }

    private void build(ChannelHandlerContext ctx, boolean keepAlive, String name, byte[] bundle) {
        try {
            send(ctx, keepAlive, bytes(HttpResponseStatus.OK, BuildCodec.encode(host.build(name, bundle))));
        } catch (BuildFailure f) {
            send(ctx, keepAlive, bytes(HttpResponseStatus.valueOf(f.kind().status), BuildCodec.encode(f)));
        }
    }

    private static void error(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String message) {
        json(ctx, keepAlive, status, JSON.createObjectNode().put("error", message));
    }

    private static void json(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, Object body) {
        try {
            send(ctx, keepAlive, bytes(status, JSON.writeValueAsBytes(body)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static FullHttpResponse bytes(HttpResponseStatus status, byte[] json) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(json));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        return response;
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (keepAlive) {
            HttpUtil.setKeepAlive(response, true);
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully();
        workers.shutdownGracefully();
        blocking.shutdownNow();
    }
}
