using System.Text;
using System.Text.Json;
using Cybex.Report.Contracts;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Worker.Health;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Cybex.Report.Worker.Querying;

/// <summary>
/// The submit endpoint's error and dead-letter pipes: a message that fails to deserialize as a
/// <see cref="SubmitReportQuery"/> (or fails past the retries) is answered with <see cref="ReportRejected"/> at the
/// response address its envelope names, and discarded; nothing goes to <c>_error</c> or <c>_skipped</c>, where it
/// would only pile up unanswered. The envelope is read leniently, top level only, so even a body too deep or too
/// broken for the serializer gets its answer as long as it names where to send it.
/// </summary>
public sealed class UnanswerableQueryFilter(WorkerMetrics metrics, ReplyTargets replies, ILogger logger) : IFilter<ExceptionReceiveContext>, IFilter<ReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        // Marked faulted, as MassTransit's own error pipe does, so the dead-letter pipe does not answer it a second time.
        if (!context.IsFaulted) await context.NotifyFaulted(context.Exception);
        await RejectAsync(context, IsUnreadable(context.Exception)
            ? $"the message is not a SubmitReportQuery: {TextLimits.Shorten(Innermost(context.Exception).Message, 200)}"
            : $"the query could not be answered now ({context.Exception.GetType().Name}); ask again");
    }

    public Task Send(ReceiveContext context, IPipe<ReceiveContext> next) =>
        // The door health check's own message: it only had to arrive.
        context.TransportHeaders.TryGetHeader(RabbitQueueConsumerProbe.ProbeHeader, out _)
            ? Task.CompletedTask
            : RejectAsync(context, "the message is not a SubmitReportQuery (its message type or content was not understood)");

    public void Probe(ProbeContext context) => context.CreateFilterScope("rejectUnanswerable");

    private async Task RejectAsync(ReceiveContext context, string reason)
    {
        metrics.BusQuery("malformed");
        var (requested, requestId) = Envelope(context.Body.GetBytes());
        if (await replies.ResolveAsync(requested, context.InputAddress, context.CancellationToken) is not { } address)
        {
            logger.LogWarning("Bus query discarded unanswered: {Reason}; its envelope names no requester's reply endpoint", reason);
            return;
        }
        logger.LogInformation("Bus query rejected: {Reason}", reason);
        var endpoint = await context.SendEndpointProvider.GetSendEndpoint(address);
        await endpoint.Send(new ReportRejected(reason), send => send.RequestId = requestId);
    }

    private static bool IsUnreadable(Exception e) =>
        e is System.Runtime.Serialization.SerializationException or JsonException or FormatException || e.InnerException is { } inner && IsUnreadable(inner);

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    /// <summary>The envelope's <c>responseAddress</c> and <c>requestId</c>, whatever else the body holds.</summary>
    internal static (Uri? Address, Guid? RequestId) Envelope(byte[] body)
    {
        Uri? address = null;
        Guid? requestId = null;
        // Deep values are skipped, not parsed: the depth limit only bounds the reader's bit stack.
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 1_000_000, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return (null, null);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                if (!reader.Read()) break;
                if (reader.TokenType == JsonTokenType.String && string.Equals(name, "responseAddress", StringComparison.OrdinalIgnoreCase))
                {
                    address = Uri.TryCreate(reader.GetString(), UriKind.Absolute, out var uri) ? uri : null;
                }
                else if (reader.TokenType == JsonTokenType.String && string.Equals(name, "requestId", StringComparison.OrdinalIgnoreCase))
                {
                    requestId = Guid.TryParse(reader.GetString(), out var id) ? id : null;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Broken further on: what was read before the break still says where to answer.
        }
        return (address, requestId);
    }
}
