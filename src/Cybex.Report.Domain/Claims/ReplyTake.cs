namespace Cybex.Report.Domain.Claims;

/// <summary>What taking a reply found.</summary>
public enum ReplyTake
{
    /// <summary>The reply is the caller's to send; done (<see cref="ClaimProtocol.ReplyDoneAsync"/>) when sent or given up.</summary>
    Taken,

    /// <summary>Another delivery holds it right now: it is sending, or died doing so less than its hold ago.</summary>
    Sending,

    /// <summary>Nothing to send under this claim: already sent, superseded, or never answered.</summary>
    Gone,

    /// <summary>The claim's lease was made for another socket: the message is forged or mangled, and nothing is touched.</summary>
    OtherSocket,
}
