// Mirrors nanoframework/nanoFramework.Runtime.Native at tag v1.7.11: nanoFramework.Runtime.Native/Power.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Runtime.Native
{
    public class Power
    {
        public static void RebootDevice() { throw new System.NotImplementedException(); }
    }
}
