// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/ArgumentException.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public class ArgumentException : SystemException
    {
        public ArgumentException() { }
        public ArgumentException(string message) : base(message) { }
        public ArgumentException(string message, Exception innerException) : base(message, innerException) { }
        public ArgumentException(string message, string paramName, Exception innerException) : base(message, innerException) { }
        public ArgumentException(string message, string paramName) : base(message) { }
        public virtual string ParamName { get { throw new NotImplementedException(); } }
    }
}
