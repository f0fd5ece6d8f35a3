// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Exception.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public class Exception
    {
        public Exception() { }
        public Exception(string message) { }
        public Exception(string message, Exception innerException) { }
        public virtual string Message { get { throw new NotImplementedException(); } }
        public Exception InnerException { get { throw new NotImplementedException(); } }
    }
}
