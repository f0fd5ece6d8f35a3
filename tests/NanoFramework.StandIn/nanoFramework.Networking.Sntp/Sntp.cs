// Mirrors nanoframework/nanoFramework.Networking.Sntp at tag v1.6.42: nanoFramework.Networking.Sntp/Sntp.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Networking
{
    using System;

    /// <summary>The device's native SNTP client: once started it sets the system clock (hourly by default).</summary>
    public class Sntp
    {
        public static void Start() { throw new NotImplementedException(); }
        public static void Stop() { throw new NotImplementedException(); }
        public static void UpdateNow() { throw new NotImplementedException(); }
        public static bool IsStarted { get { throw new NotImplementedException(); } }
        public static string Server1 { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public static string Server2 { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
    }
}
