// Entry of the single-file bundle for a <script type="module"> tag: defines the elements.
import './define.js';
export * from './index.js';
