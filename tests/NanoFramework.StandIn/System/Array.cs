// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Array.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    using Collections;

    [Serializable]
    public abstract class Array : IEnumerable
    {
        public static void Copy(Array sourceArray, Array destinationArray, int length) { throw new NotImplementedException(); }
        public static void Copy(Array sourceArray, int sourceIndex, Array destinationArray, int destinationIndex, int length) { throw new NotImplementedException(); }
        public static void Clear(Array array, int index, int length) { throw new NotImplementedException(); }
        public object GetValue(int index) { throw new NotImplementedException(); }
        public int Length { get { throw new NotImplementedException(); } }
        public void CopyTo(Array array, int index) { throw new NotImplementedException(); }
        public IEnumerator GetEnumerator() { throw new NotImplementedException(); }
        public static int IndexOf(Array array, object value) { throw new NotImplementedException(); }
    }
}
