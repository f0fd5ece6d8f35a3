// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Object.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public class Object
    {
        public Object() { }
        public virtual bool Equals(object obj) { throw new NotImplementedException(); }
        public static bool Equals(object objA, object objB) { throw new NotImplementedException(); }
        public static bool ReferenceEquals(object objA, object objB) { throw new NotImplementedException(); }
        public virtual int GetHashCode() { throw new NotImplementedException(); }
        public Type GetType() { throw new NotImplementedException(); }
        public virtual string ToString() { throw new NotImplementedException(); }
    }
}
