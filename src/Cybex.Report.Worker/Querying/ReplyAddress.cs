using System.Text.RegularExpressions;
using Cybex.Report.Worker.Replying;
using Cybex.Report.Worker.Reporting;

namespace Cybex.Report.Worker.Querying;

/// <summary>
/// Where a response to a bus query may go: the requester's own reply endpoint on this worker's broker and vhost,
/// named by the last segment of the response address and nothing else. MassTransit acts on an address's query
/// parameters (<c>bind=true&amp;queue=…</c> declares a queue and binds it to the named exchange, others set the
/// exchange's type or arguments), so a requester could make the worker build topology for it; only
/// <c>temporary</c>, which a MassTransit client's reply endpoint needs, is kept. The worker's own entities and the
/// broker's are never a reply target.
/// </summary>
public static partial class ReplyAddress
{
    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,200}$")]
    private static partial Regex EntityName();

    /// <summary>The address to send the response to, or null when the requested one is not a requester's endpoint.</summary>
    /// <param name="input">This endpoint's own address, whose broker and vhost the response stays on.</param>
    public static Uri? Of(Uri? requested, Uri input, string endpointPrefix)
    {
        if (requested is not { IsAbsoluteUri: true } || requested.Scheme != input.Scheme) return null;
        var name = Uri.UnescapeDataString(requested.AbsolutePath.TrimEnd('/').Split('/')[^1]);
        if (!EntityName().IsMatch(name) || IsWorkers(name, endpointPrefix)) return null;
        var vhostPath = input.AbsolutePath[..(input.AbsolutePath.LastIndexOf('/') + 1)];
        var temporary = requested.Query.TrimStart('?').Split('&').Contains("temporary=true", StringComparer.OrdinalIgnoreCase);
        return new Uri($"{input.Scheme}://{input.Authority}{vhostPath}{Uri.EscapeDataString(name)}{(temporary ? "?temporary=true" : "")}");
    }

    private static bool IsWorkers(string name, string prefix) =>
        name.StartsWith("amq.", StringComparison.Ordinal)
        || name.StartsWith("Cybex.Report.Contracts:", StringComparison.Ordinal)
        || new[] { SubmitReportQueryConsumerDefinition.Queue, ReportRequestedConsumerDefinition.Queue, ReplyConsumerDefinition.Queue }
            .Any(queue => name.StartsWith(prefix + queue, StringComparison.Ordinal));
}
