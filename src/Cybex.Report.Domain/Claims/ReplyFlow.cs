using Cybex.Report.Domain.Tahoe;
using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>
/// The reply consumer's side of the claim protocol: a completion's nonce is sent only by the delivery that took
/// the claim's reply, and the lease goes once it is sent or given up (recorded), so no later copy sends it again.
/// </summary>
/// <param name="hold">How long a take holds the reply without its sender renewing it: after a sender dies, another
/// delivery takes over this soon, well inside the API's 5 s wait.</param>
public sealed class ReplyFlow(ClaimProtocol claims, Duration hold)
{
    public Duration Hold => hold;

    /// <summary>
    /// Takes the claim's reply, pausing while another delivery of it holds it: once that one is done the reply is
    /// gone; should its process have died, its hold runs out and this delivery takes over.
    /// <see cref="ReplyTake.Gone"/> when there is nothing to send, <see cref="ReplyTake.OtherSocket"/> when the claim
    /// is not for <paramref name="socket"/>.
    /// </summary>
    public async Task<ReplyTake> TakeAsync(string tdql, Guid claim, TdqlSocket socket, Func<Task> pause, CancellationToken ct)
    {
        while (true)
        {
            var take = await claims.TakeReplyAsync(tdql, claim, socket, hold, ct);
            if (take != ReplyTake.Sending) return take;
            await pause();
        }
    }

    /// <summary>Renews the take while the nonce is being sent.</summary>
    public Task<bool> KeepAsync(string tdql, Guid claim, CancellationToken ct) => claims.HoldReplyAsync(tdql, claim, hold, ct);

    /// <summary>The reply is sent (<paramref name="undelivered"/> null) or given up and recorded: nothing more is owed under this claim.</summary>
    public async Task FinishAsync(string tdql, Guid claim, UndeliveredReply? undelivered, CancellationToken ct)
    {
        if (undelivered is not null) await claims.RecordUndeliveredAsync(undelivered, ct);
        await claims.ReplyDoneAsync(tdql, claim, ct);
    }
}
