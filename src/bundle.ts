// Entry of the single-file bundle for a <script type="module"> tag: defines the elements and
// exports their classes (the codec and the rest stay in the package's module build).
import './define.js';
export { LipsyncSessionElement, LipsyncCanvasElement, LipsyncBufferViewElement } from './index.js';
