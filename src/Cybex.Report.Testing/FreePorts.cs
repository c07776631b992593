using System.Net;
using System.Net.Sockets;

namespace Cybex.Report.Testing;

public static class FreePorts
{
    /// <summary>A loopback port nobody listens on right now (the kernel's choice), for an endpoint to bind next.</summary>
    public static int Next()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
