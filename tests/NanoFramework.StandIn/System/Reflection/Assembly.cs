// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Reflection/Assembly.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Reflection
{
    // Upstream compiles this only into the mscorlib build with reflection (NANOCLR_REFLECTION), the default
    // nanoFramework.CoreLibrary package; the NoReflection package lacks it.
    [Serializable]
    public class Assembly
    {
        public virtual Type GetType(string name) { throw new NotImplementedException(); }
        public static Assembly Load(byte[] rawAssembly) { throw new NotImplementedException(); }
    }
}
