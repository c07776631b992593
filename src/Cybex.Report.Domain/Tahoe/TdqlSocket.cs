namespace Cybex.Report.Domain.Tahoe;

/// <summary>Where the API waits for the completion nonce.</summary>
public sealed record TdqlSocket(string Host, int Port, string Nonce)
{
    /// <summary>
    /// The socket of a query sent on the bus: the API's construction defaults (no listener, port 0, no nonce),
    /// since its answer goes back as a message.
    /// </summary>
    public static readonly TdqlSocket Bus = new("localhost", 0, "");

    public bool IsBus => this == Bus;
}
