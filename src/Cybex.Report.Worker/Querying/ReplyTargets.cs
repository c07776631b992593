using System.Collections.Concurrent;
using System.Diagnostics;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Querying;

/// <summary>
/// Where a bus query's response may go: a requester's reply endpoint as <see cref="ReplyAddress"/> allows, and only
/// one that already exists. MassTransit declares the exchange it sends to, so without the check a requester could have
/// the worker create exchanges of any name it likes; a requester's endpoint exists before it asks. Seen endpoints are
/// remembered for a while, so a client that asks many times costs one check. Without a broker (the in-memory
/// transport) there is nothing to ask, and only the address rule applies.
/// </summary>
public sealed class ReplyTargets(IOptions<BusOptions> bus, IQueueConsumerProbe? probe = null)
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(5);
    private const int MaxRemembered = 10_000;

    private readonly string _prefix = bus.Value.EndpointPrefix;
    private readonly ConcurrentDictionary<string, long> _seen = new();

    /// <summary>The address to send the response to, or null when it names no existing reply endpoint of a requester.</summary>
    /// <param name="input">This endpoint's own address, whose broker and vhost the response stays on.</param>
    public async Task<Uri?> ResolveAsync(Uri? requested, Uri input, CancellationToken ct)
    {
        if (ReplyAddress.Of(requested, input, _prefix) is not { } address) return null;
        if (probe is null) return address;
        var name = Uri.UnescapeDataString(address.AbsolutePath.Split('/')[^1]);
        if (_seen.TryGetValue(name, out var since) && Stopwatch.GetElapsedTime(since) < Remembered) return address;
        if (await probe.ExchangeExistsAsync(name, ct) != true) return null;
        if (_seen.Count >= MaxRemembered) _seen.Clear();
        _seen[name] = Stopwatch.GetTimestamp();
        return address;
    }
}
